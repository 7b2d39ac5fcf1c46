//! `switchboard fleet`: the fleet gateway. A WebSocket host (serving the
//! editor too) whose channels mirror every game instance on NATS under
//! `fleet/<instance>/…`, plus `fleet/instances`. The logic is the
//! library's (`switchboard::nats::Gateway`); this only reads the command
//! line and prints the URLs.

use std::net::IpAddr;
use std::path::PathBuf;

use crate::exit::Failure;

/// Serve one dashboard over many game instances bridged to NATS.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The NATS server, e.g. nats://127.0.0.1:4222.
    #[arg(long, value_name = "URL")]
    nats: String,
    /// Port for dashboards and the editor (0: any free port).
    #[arg(long, default_value_t = 9100)]
    port: u16,
    /// Address to listen on (loopback unless you also set a token and TLS
    /// in a program of your own).
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Dashboards must send this token in their Hello; others are refused.
    #[arg(long, value_name = "SECRET")]
    token: Option<String>,
    /// Token for NATS (nats-server --auth).
    #[arg(long, value_name = "TOKEN", conflicts_with_all = ["nats_user", "nats_creds"])]
    nats_token: Option<String>,
    /// User for NATS (with --nats-password).
    #[arg(long, value_name = "USER", requires = "nats_password")]
    nats_user: Option<String>,
    /// Password for --nats-user.
    #[arg(long, value_name = "PASSWORD", requires = "nats_user")]
    nats_password: Option<String>,
    /// A NATS .creds file.
    #[arg(long, value_name = "FILE", conflicts_with = "nats_user")]
    nats_creds: Option<PathBuf>,
    /// CA certificate (PEM) to trust for NATS over TLS; repeatable.
    #[arg(long, value_name = "FILE")]
    nats_ca: Vec<PathBuf>,
    /// Client certificate (PEM) for NATS over mutual TLS (with --nats-key).
    #[arg(long, value_name = "FILE", requires = "nats_key")]
    nats_cert: Option<PathBuf>,
    /// The key (PEM) of --nats-cert.
    #[arg(long, value_name = "FILE", requires = "nats_cert")]
    nats_key: Option<PathBuf>,
    /// Refuse a NATS server that does not offer TLS.
    #[arg(long)]
    nats_tls_required: bool,
    /// Start TLS before the server's INFO (a server with handshake_first).
    #[arg(long)]
    nats_tls_first: bool,
    /// Folder served over HTTP (default: the editor in this repository).
    #[arg(long, value_name = "DIR")]
    web_root: Option<PathBuf>,
}

#[cfg(feature = "nats")]
pub fn run(args: Args) -> Result<(), Failure> {
    use switchboard::HostConfig;
    use switchboard::nats::{Gateway, GatewayConfig, NatsAuth, NatsConnect, NatsTls};

    let auth = match (
        args.nats_token,
        args.nats_user,
        args.nats_password,
        args.nats_creds,
    ) {
        (Some(token), ..) => NatsAuth::Token(token),
        (_, Some(user), Some(password), _) => NatsAuth::UserPassword { user, password },
        (.., Some(creds)) => NatsAuth::CredsFile(creds),
        _ => NatsAuth::None,
    };
    let connect = NatsConnect::new(&args.nats).auth(auth).tls(NatsTls {
        required: args.nats_tls_required,
        root_certificates: args.nats_ca,
        client_certificate: args.nats_cert.zip(args.nats_key),
        tls_first: args.nats_tls_first,
    });
    let web_root = args
        .web_root
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("web_root/public"));
    let mut host = HostConfig::default()
        .bind(std::net::SocketAddr::from((args.bind, args.port)))
        .host_name("switchboard-fleet");
    if web_root.is_dir() {
        host = host.web_root(web_root);
    }
    if let Some(token) = &args.token {
        host = host.token(token);
    }
    let gateway =
        Gateway::start(GatewayConfig::new(connect).host(host)).map_err(Failure::failed)?;
    let addr = gateway.local_addr();
    println!("Switchboard fleet gateway running (NATS {}).", args.nats);
    println!("  editor:    http://{addr}/");
    println!("  websocket: ws://{addr}/");
    // Runs until the process is stopped; the gateway owns no child
    // processes, so a signal's default end leaves nothing behind.
    loop {
        std::thread::park();
    }
}

#[cfg(not(feature = "nats"))]
pub fn run(_args: Args) -> Result<(), Failure> {
    Err(Failure::new(
        crate::exit::Kind::Usage,
        "this switchboard was built without the nats feature: \
         cargo run --features cli,nats --bin switchboard -- fleet --nats URL",
    ))
}
