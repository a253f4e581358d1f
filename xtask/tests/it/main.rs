//! The xtask's tests, one binary: the committed generated files against the code (the check the suite runs), and
//! the check and the writer on a copy of the generated files in a temporary folder.

mod regenerate;
