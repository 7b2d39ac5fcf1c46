//! A real nats-server for a test: on a free loopback port, killed and
//! waited for when dropped, and restartable on the same port so a test can
//! take NATS away mid-stream and bring it back.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use super::PATIENCE;

/// One nats-server child process.
pub struct NatsServer {
    port: u16,
    extra_args: Vec<String>,
    child: Option<Child>,
}

/// Where nats-server is: on PATH, or where Debian puts it (/usr/sbin is
/// not on every user's PATH).
fn binary() -> PathBuf {
    let debian = PathBuf::from("/usr/sbin/nats-server");
    if std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join("nats-server").is_file()))
        .unwrap_or(false)
    {
        PathBuf::from("nats-server")
    } else {
        debian
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

impl NatsServer {
    /// Starts nats-server on a free loopback port, with `extra_args`
    /// (`--auth TOKEN`, `--user U --pass P`, ...); panics if it does not
    /// accept connections within PATIENCE.
    pub fn start(extra_args: &[&str]) -> Self {
        let mut server = NatsServer {
            port: free_port(),
            extra_args: extra_args.iter().map(|s| s.to_string()).collect(),
            child: None,
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let child = Command::new(binary())
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string()])
            .args(&self.extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts (scripts/install-deps.sh installs it)");
        self.child = Some(child);
        let addr = self.addr();
        let deadline = Instant::now() + PATIENCE;
        while TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nats-server did not listen on {addr}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// `nats://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("nats://{}", self.addr())
    }

    /// Kills the server (SIGKILL: no goodbye to its clients) and waits.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts `command` with its stdout read line by line on a thread of its
/// own, so a chatty child never blocks on a full pipe; `what` names it in
/// the panic when it cannot start.
pub fn spawn_reading_lines(mut command: Command, what: &str) -> (Child, Receiver<String>) {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect(what);
    let stdout = child.stdout.take().expect("stdout");
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, lines)
}
