//! The flags' environment fallbacks against the one table of settings (`rollcall::settings::SETTINGS`): every
//! `env` a flag reads is a variable of the table, read by `clap` (its rule is `Flag`), with the table's default.

use crate::Cli;
use clap::CommandFactory;
use rollcall::settings::{Rule, SETTINGS};

/// Every argument of `command` and of its subcommands, at any depth.
fn args(command: &clap::Command) -> Vec<clap::Arg> {
    let mut all: Vec<clap::Arg> = command.get_arguments().cloned().collect();
    for sub in command.get_subcommands() {
        all.extend(args(sub));
    }
    all
}

#[test]
fn every_flags_env_fallback_is_a_setting_with_its_default() {
    let mut read = Vec::new();
    for arg in args(&Cli::command()) {
        let Some(env) = arg.get_env().and_then(|env| env.to_str()) else {
            continue;
        };
        let setting = SETTINGS
            .iter()
            .find(|setting| setting.name == env)
            .unwrap_or_else(|| {
                panic!(
                    "{env} (--{:?}) is not in the settings table",
                    arg.get_long()
                )
            });
        if let [default] = arg.get_default_values() {
            assert_eq!(
                default.to_str(),
                Some(setting.default),
                "{env}: the flag's default is the table's"
            );
        }
        read.push(env.to_owned());
    }
    for setting in SETTINGS {
        if matches!(setting.rule, Rule::Flag) {
            assert!(
                read.iter().any(|env| env == setting.name),
                "{} is a flag's",
                setting.name
            );
        }
    }
}
