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

/// The subcommands a `--help` text lists.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_subcommand_has_help() {
    let out = switchboard(&["--help"]);
    let top = subcommands(&String::from_utf8_lossy(&out.stdout));
    assert!(!top.is_empty());
    // Every level, down to the leaves.
    let mut pending: Vec<Vec<String>> = top.into_iter().map(|c| vec![c]).collect();
    let mut seen = 0;
    while let Some(path) = pending.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let out = switchboard(&args);
        assert!(out.status.success(), "{args:?}: {out:?}");
        seen += 1;
        for child in subcommands(&String::from_utf8_lossy(&out.stdout)) {
            let mut deeper = path.clone();
            deeper.push(child);
            pending.push(deeper);
        }
    }
    #[cfg(feature = "packages")]
    assert!(seen >= 10, "plugins and its subcommands: {seen}");
    assert!(seen >= 1);
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
