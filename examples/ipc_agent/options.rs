//! The demo's command line, and how its listening and access flags become
//! the host's configuration.
//!
//! The demo decides nothing about access itself: the flags only fill in a
//! `HostConfig`, and the library's own checks (a non-loopback address needs
//! a token and TLS, or the explicit opt-out) refuse or accept it, so the
//! demo behaves exactly like a game configured the same way.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use switchboard::HostConfig;

/// What `--help` prints.
pub const USAGE: &str = "\
usage: ipc_agent [OPTIONS]

A headless Bevy game with the Switchboard IPC host, an echo agent, the
telemetry agent, a scene agent and the hardware bridge (simulated dongles),
serving the browser editor. Prints the editor's and the WebSocket's URL.

Frame loop:
  --hz F                   frames per second (default 60)
  --uncapped               run frames back to back
  --on-demand              run a frame when the network has something, else
                           sleep (at least one frame per 1/F s)
  --frames N               exit after N frames

Listening and access (see SECURITY.md):
  --port N                 port to listen on (default 9001; 0: any free port)
  --bind ADDR              address to listen on: an IP (port from --port) or
                           IP:PORT (default 127.0.0.1). An address other than
                           loopback is refused unless --token and
                           --tls-cert/--tls-key are given, or
                           --allow-insecure-remote
  --token SECRET           clients must send this token in Hello; others are
                           closed with 4003. The browser editor sends none.
                           Other local users can read command lines: use it
                           to try access control, not to guard a secret
  --tls-cert FILE          PEM certificate chain: serve wss:// (and the editor
                           over https://); needs --tls-key and the tls feature
                           (cargo run --example ipc_agent --features hardware,tls)
  --tls-key FILE           PEM private key for --tls-cert
  --allow-origin ORIGIN    let browser pages from ORIGIN (scheme://host:port)
                           open WebSockets; repeatable; * allows every origin
  --allow-host NAME        accept requests whose Host header names NAME
                           (e.g. game.lan) besides loopback names and IP
                           addresses; repeatable
  --allow-insecure-remote  listen beyond loopback without a token and TLS:
                           anyone who can reach the port can drive the game
  --max-clients N          most connections at once (default 256)
  --max-message-size N     largest message a client may send, in bytes
                           (default 8388608)
  --no-queues              do not take clients over POSIX message queues
                           (on by default when built with the mqueue feature:
                           `switchboard call <PID> echo hi`)
  --queue-prefix NAME      message queue names /NAMEIn.<PID> and
                           /NAMEOut.<PID> (default Switchboard)

Outbound connections (the game dials the editor):
  --dial URL               dial ws://HOST:PORT/PATH (or wss://, tls feature)
                           and keep reconnecting; the peer there speaks as a
                           client (sends Hello, and --token if one is set);
                           repeatable
  --dial-ca FILE           PEM CA certificates to trust for wss:// dial URLs
                           (default: the system's roots)

Discovery (switchboard ls):
  --name NAME              the host's name in Welcome and in its discovery
                           record (default: switchboard demo)
  --no-discovery           publish no discovery record

Content:
  --web-root DIR           folder served over HTTP (default: the editor)
  --registry FILE          SQLite file that keeps registered devices
  --zwave-port PATH        drive Z-Wave with a real Serial API stick (e.g.
                           /dev/ttyACM0) instead of the simulated dongle
  --plugins DIR            start the plugins in DIR/*/plugin.json (default,
                           with the plugins feature: examples/plugins)
  --no-plugins             start no plugins
  --packages-dir DIR       run the packages installed in DIR (switchboard
                           plugins install --plugins-dir DIR) and serve the
                           plugins/* package channels on it (needs the
                           plugins and packages features)

Fleet (needs the nats feature:
       cargo run --example ipc_agent --features hardware,nats):
  --nats URL               bridge the telemetry and scene channels to NATS
                           (nats://127.0.0.1:4222); scene requests from NATS
                           reach the scene agent. See `switchboard fleet`
  --instance NAME          this game's id on NATS (default demo); one subject
                           token: letters, digits, - and _

  -h, --help               print this and exit
";

/// What the command line asks for.
pub enum Command {
    /// `--help`: print [`USAGE`] and exit successfully.
    Help,
    /// Run the demo (boxed: the options are large and made once).
    Run(Box<Options>),
}

pub struct Options {
    pub uncapped: bool,
    pub on_demand: bool,
    pub hz: f64,
    pub frames: Option<u64>,
    pub web_root: PathBuf,
    pub registry: PathBuf,
    pub zwave_port: Option<PathBuf>,
    /// Where plugin folders are; `None`: start none.
    pub plugins: Option<PathBuf>,
    /// Where installed packages are; `None`: none run.
    pub packages_dir: Option<PathBuf>,
    pub nats: Option<String>,
    pub instance: Option<String>,
    port: Option<u16>,
    bind: Option<String>,
    token: Option<String>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    allowed_origins: Vec<String>,
    allowed_hosts: Vec<String>,
    allow_insecure_remote: bool,
    max_clients: usize,
    dial: Vec<String>,
    dial_ca: Option<PathBuf>,
    name: String,
    discovery: bool,
    max_message_size: usize,
    queues: bool,
    queue_prefix: Option<String>,
}

/// Reads the arguments after the program name. An error is a sentence for
/// the user.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut options = Options {
        uncapped: false,
        on_demand: false,
        hz: 60.0,
        frames: None,
        web_root: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("web_root/public"),
        registry: std::env::temp_dir().join("switchboard-demo-devices.sqlite"),
        zwave_port: None,
        plugins: cfg!(feature = "plugins")
            .then(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/plugins")),
        packages_dir: None,
        nats: None,
        instance: None,
        port: None,
        bind: None,
        token: None,
        tls_cert: None,
        tls_key: None,
        allowed_origins: Vec::new(),
        allowed_hosts: Vec::new(),
        allow_insecure_remote: false,
        max_clients: switchboard::Limits::default().max_clients,
        dial: Vec::new(),
        dial_ca: None,
        name: "switchboard demo".to_owned(),
        discovery: true,
        max_message_size: switchboard::Limits::default().max_message_size,
        queues: true,
        queue_prefix: None,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--hz" => options.hz = number(&arg, value()?)?,
            "--uncapped" => options.uncapped = true,
            "--on-demand" => options.on_demand = true,
            "--frames" => options.frames = Some(number(&arg, value()?)?),
            "--port" => options.port = Some(number(&arg, value()?)?),
            "--bind" => options.bind = Some(value()?),
            "--token" => options.token = Some(value()?),
            "--tls-cert" => options.tls_cert = Some(PathBuf::from(value()?)),
            "--tls-key" => options.tls_key = Some(PathBuf::from(value()?)),
            "--allow-origin" => options.allowed_origins.push(value()?),
            "--allow-host" => options.allowed_hosts.push(value()?),
            "--allow-insecure-remote" => options.allow_insecure_remote = true,
            "--max-clients" => options.max_clients = number(&arg, value()?)?,
            "--name" => options.name = value()?,
            "--no-discovery" => options.discovery = false,
            "--dial" => options.dial.push(value()?),
            "--dial-ca" => options.dial_ca = Some(PathBuf::from(value()?)),
            "--max-message-size" => options.max_message_size = number(&arg, value()?)?,
            "--no-queues" => options.queues = false,
            "--queue-prefix" => options.queue_prefix = Some(value()?),
            "--web-root" => options.web_root = PathBuf::from(value()?),
            "--registry" => options.registry = PathBuf::from(value()?),
            "--zwave-port" => options.zwave_port = Some(PathBuf::from(value()?)),
            "--plugins" if cfg!(feature = "plugins") => {
                options.plugins = Some(PathBuf::from(value()?));
            }
            "--plugins" => return Err("--plugins needs the plugins feature".into()),
            "--no-plugins" => options.plugins = None,
            "--packages-dir" if cfg!(all(feature = "plugins", feature = "packages")) => {
                options.packages_dir = Some(PathBuf::from(value()?));
            }
            "--packages-dir" => {
                return Err("--packages-dir needs the plugins and packages features".into());
            }
            "--nats" => options.nats = Some(value()?),
            "--instance" => options.instance = Some(value()?),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if !(options.hz.is_finite() && options.hz > 0.0) {
        return Err("--hz must be a positive number".into());
    }
    if options.instance.is_some() && options.nats.is_none() {
        return Err("--instance needs --nats URL".into());
    }
    if options.uncapped && options.on_demand {
        return Err("--uncapped and --on-demand exclude each other".into());
    }
    Ok(Command::Run(Box::new(options)))
}

fn number<T: std::str::FromStr>(flag: &str, text: String) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e| format!("{flag} {text:?}: {e}"))
}

impl Options {
    /// The host's configuration. Errors here are the demo's own (a flag
    /// that cannot be used as given); whether the configuration is safe
    /// enough to start is the library's call, when the host starts.
    pub fn host_config(&self) -> Result<HostConfig, String> {
        let mut config = HostConfig::default()
            .bind(self.bind_addr()?)
            .host_name(&self.name)
            .discovery(self.discovery)
            .web_root(&self.web_root)
            .max_clients(self.max_clients)
            .max_message_size(self.max_message_size);
        if let Some(token) = &self.token {
            config = config.token(token);
        }
        for origin in &self.allowed_origins {
            config = config.allow_origin(origin);
        }
        for host in &self.allowed_hosts {
            config = config.allow_host(host);
        }
        for url in &self.dial {
            config = config.dial(url);
        }
        config.allow_insecure_remote = self.allow_insecure_remote;
        let config = self.with_queues(config)?;
        self.with_tls(config)
    }

    #[cfg(all(feature = "mqueue", target_os = "linux"))]
    fn with_queues(&self, config: HostConfig) -> Result<HostConfig, String> {
        if !self.queues {
            return Ok(config);
        }
        let mut queues = switchboard::MqueueConfig::default();
        if let Some(prefix) = &self.queue_prefix {
            queues = queues.prefix(prefix);
        }
        Ok(config.message_queues(queues))
    }

    #[cfg(not(all(feature = "mqueue", target_os = "linux")))]
    fn with_queues(&self, config: HostConfig) -> Result<HostConfig, String> {
        if self.queue_prefix.is_some() {
            return Err("--queue-prefix needs the mqueue feature (Linux): \
                 cargo run --example ipc_agent --features hardware,mqueue -- ..."
                .into());
        }
        Ok(config)
    }

    /// True when the demo will listen on a loopback address only.
    pub fn loopback(&self) -> bool {
        self.bind_addr().is_ok_and(|addr| addr.ip().is_loopback())
    }

    fn bind_addr(&self) -> Result<SocketAddr, String> {
        let default = HostConfig::default().bind;
        let Some(text) = &self.bind else {
            return Ok(SocketAddr::new(
                default.ip(),
                self.port.unwrap_or(default.port()),
            ));
        };
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(SocketAddr::new(ip, self.port.unwrap_or(default.port())));
        }
        match text.parse::<SocketAddr>() {
            Ok(_) if self.port.is_some() => Err(format!(
                "--bind {text:?} already names a port: leave out --port, or give --bind an IP only"
            )),
            Ok(addr) => Ok(addr),
            Err(_) => Err(format!(
                "--bind {text:?} is not an IP address or IP:PORT (e.g. 0.0.0.0, 192.168.1.5:9001, [::1]:9001)"
            )),
        }
    }

    #[cfg(feature = "tls")]
    fn with_tls(&self, mut config: HostConfig) -> Result<HostConfig, String> {
        if let Some(ca) = &self.dial_ca {
            let tls = switchboard::DialTlsConfig::from_ca_pem_file(ca)
                .map_err(|e| format!("--dial-ca: {e}"))?;
            config = config.dial_tls(tls);
        }
        match (&self.tls_cert, &self.tls_key) {
            (None, None) => Ok(config),
            (Some(cert), Some(key)) => switchboard::TlsConfig::from_pem_files(cert, key)
                .map(|tls| config.tls(tls))
                .map_err(|e| format!("--tls-cert/--tls-key: {e}")),
            (Some(_), None) => Err("--tls-cert needs --tls-key".into()),
            (None, Some(_)) => Err("--tls-key needs --tls-cert".into()),
        }
    }

    #[cfg(not(feature = "tls"))]
    fn with_tls(&self, config: HostConfig) -> Result<HostConfig, String> {
        if self.dial_ca.is_some() {
            return Err("--dial-ca needs the tls feature".into());
        }
        if self.tls_cert.is_some() || self.tls_key.is_some() {
            return Err("--tls-cert/--tls-key need the tls feature: \
                 cargo run --example ipc_agent --features hardware,tls -- ..."
                .into());
        }
        Ok(config)
    }
}

/// What to tell a user whose non-loopback address was refused, in terms of
/// this program's flags rather than the library's field names.
pub const REMOTE_HINT: &str = "to listen beyond this machine, give --token SECRET with \
     --tls-cert FILE --tls-key FILE (tls feature), or accept the risk with --allow-insecure-remote";
