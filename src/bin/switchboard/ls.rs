//! `switchboard ls`: the games running on this machine, from the records
//! their hosts publish (`switchboard::discovery`).

use std::time::{SystemTime, UNIX_EPOCH};

use switchboard::discovery::{self, Record};

use crate::exit::Failure;

/// List the Switchboard games running for this user on this machine.
///
/// Reads the discovery records in the runtime folder
/// ($SWITCHBOARD_DISCOVERY_DIR, else $XDG_RUNTIME_DIR/switchboard, else
/// /tmp/switchboard-<uid>); records of games that are gone are deleted.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One JSON object per game per line (pid, name, version, session_id,
    /// url, queues, started_unix_ms, process_start), for scripts.
    #[arg(long)]
    json: bool,
    /// Only the games with this pid (a number) or this name.
    target: Option<String>,
}

pub fn run(args: &Args) -> Result<(), Failure> {
    let dir = discovery::runtime_dir().map_err(Failure::failed)?;
    let records = match &args.target {
        Some(target) => discovery::find_in(&dir, target),
        None => discovery::list_in(&dir),
    }
    .map_err(Failure::failed)?;
    if args.json {
        for record in &records {
            let line = serde_json::to_string(record).map_err(Failure::failed)?;
            println!("{line}");
        }
        return Ok(());
    }
    if records.is_empty() {
        match &args.target {
            Some(target) => println!("no game {target:?} running (looked in {})", dir.display()),
            None => println!("no games running (looked in {})", dir.display()),
        }
        return Ok(());
    }
    print!("{}", table(&records, now_ms()));
    Ok(())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Columns padded to their widest cell.
fn table(records: &[Record], now_ms: u64) -> String {
    let header = ["PID", "NAME", "VERSION", "UP", "URL", "QUEUES", "SESSION"].map(String::from);
    let rows: Vec<[String; 7]> = records
        .iter()
        .map(|r| {
            [
                r.pid.to_string(),
                r.name.clone(),
                r.version.clone(),
                age(now_ms.saturating_sub(r.started_unix_ms)),
                r.url.clone(),
                r.queues.as_ref().map_or_else(
                    || "-".to_owned(),
                    |q| format!("{} {}", q.to_game, q.from_game),
                ),
                r.session_id.clone(),
            ]
        })
        .collect();
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// How long ago, in the largest unit that fits: "42s", "7m", "3h", "2d".
fn age(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_columns_line_up() {
        assert_eq!(age(59_999), "59s");
        assert_eq!(age(61_000), "1m");
        assert_eq!(age(7_200_000), "2h");
        assert_eq!(age(200_000_000), "2d");
        let record = Record {
            pid: 7,
            name: "a long game name".to_owned(),
            version: "0.1.0".to_owned(),
            session_id: "abc".to_owned(),
            url: "ws://127.0.0.1:1/".to_owned(),
            queues: None,
            started_unix_ms: 1_000,
            process_start: None,
        };
        let text = table(&[record], 6_000);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].find("NAME"), lines[1].find("a long game name"));
        assert_eq!(lines[0].find("URL"), lines[1].find("ws://"));
        assert!(lines[1].contains("5s"));
    }
}
