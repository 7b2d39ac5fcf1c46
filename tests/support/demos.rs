//! Demo processes for the discovery tests, each publishing its record into
//! one scratch folder (SWITCHBOARD_DISCOVERY_DIR), killed when dropped.
//! Included with `#[path]`; needs `support/examples.rs` as `examples`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use switchboard::discovery::{self, Record};

/// A scratch discovery folder for one test, made 0700 and removed at drop.
pub struct Folder(pub PathBuf);

impl Folder {
    pub fn new(test: &str) -> Folder {
        use std::os::unix::fs::DirBuilderExt;
        let path = std::env::temp_dir().join(format!(
            "switchboard-discovery-{}-{test}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .unwrap();
        Folder(path)
    }

    /// Waits until `pick` accepts the records listed, or panics after `patience`.
    pub fn wait_until(
        &self,
        patience: Duration,
        mut pick: impl FnMut(&[Record]) -> bool,
    ) -> Vec<Record> {
        let deadline = Instant::now() + patience;
        loop {
            let records = discovery::list_in(&self.0).expect("list");
            if pick(&records) {
                return records;
            }
            assert!(Instant::now() < deadline, "records now: {records:#?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One running demo.
pub struct Demo {
    pub child: Child,
}

impl Demo {
    pub fn start(folder: &Path, binary: &Path, args: &[&str]) -> Demo {
        let child = Command::new(binary)
            .args(["--port", "0", "--hz", "20"])
            .args(args)
            .env("SWITCHBOARD_DISCOVERY_DIR", folder)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("demo starts");
        Demo { child }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, and reaped: no chance to remove its record.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        self.kill();
    }
}
