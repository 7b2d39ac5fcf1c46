//! The `switchboard` program's shape: help on every level exits 0, a bad
//! command line exits 2, and the exit codes it documents are the ones it
//! uses. Subcommands have their own test files.

use std::process::Command;

fn switchboard(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .output()
        .expect("the switchboard binary runs")
}

#[test]
fn help_exits_zero_and_lists_subcommands() {
    let out = switchboard(&["--help"]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("exit-codes"), "{text}");
}

#[test]
fn every_subcommand_has_help() {
    let out = switchboard(&["--help"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let commands: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(!commands.is_empty(), "{text}");
    for command in commands {
        let out = switchboard(&[command, "--help"]);
        assert!(out.status.success(), "{command} --help: {out:?}");
    }
}

#[test]
fn bad_command_line_exits_two() {
    let out = switchboard(&["no-such-subcommand"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn exit_codes_are_printed() {
    let out = switchboard(&["exit-codes"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for code in 0..=5 {
        assert!(text.contains(&format!("{code}  ")), "{text}");
    }
}
