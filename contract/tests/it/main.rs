//! The contract crate's integration tests: one test binary (`it`), a module per concern.

mod dependencies;
mod messages;
mod schema;
