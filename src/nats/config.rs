//! How to reach NATS, and what a bridge shares there.

use std::path::PathBuf;
use std::time::Duration;

use super::NatsError;
use super::subject;
use crate::protocol::ChannelPattern;

/// How to authenticate to the NATS server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum NatsAuth {
    /// No credentials.
    #[default]
    None,
    /// A token (`nats-server --auth TOKEN`).
    Token(String),
    /// A user and a password.
    UserPassword {
        /// The user.
        user: String,
        /// The password.
        password: String,
    },
    /// A `.creds` file (JWT and NKey seed), as `nsc` writes them.
    CredsFile(PathBuf),
}

/// TLS settings, passed through to async-nats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NatsTls {
    /// Refuse a server that does not offer TLS.
    pub required: bool,
    /// Extra CA certificates (PEM files) to trust.
    pub root_certificates: Vec<PathBuf>,
    /// A client certificate and its key (PEM files), for mutual TLS.
    pub client_certificate: Option<(PathBuf, PathBuf)>,
    /// Start TLS before the server's INFO (servers with `handshake_first`).
    pub tls_first: bool,
}

/// Where NATS is and how to log in. Reconnection is automatic, with a
/// backoff from 100 ms doubling up to `max_backoff`.
///
/// ```
/// use switchboard::nats::{NatsAuth, NatsConnect};
/// let connect = NatsConnect::new("nats://127.0.0.1:4222").auth(NatsAuth::Token("s3cret".into()));
/// assert_eq!(connect.url, "nats://127.0.0.1:4222");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatsConnect {
    /// `nats://host:port` (or `tls://`), several comma-separated.
    pub url: String,
    /// Credentials.
    pub auth: NatsAuth,
    /// TLS options.
    pub tls: NatsTls,
    /// Longest wait between two reconnection attempts.
    pub max_backoff: Duration,
}

impl NatsConnect {
    /// A server URL, no credentials, no TLS options, backoff up to 2 s.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            auth: NatsAuth::None,
            tls: NatsTls::default(),
            max_backoff: Duration::from_secs(2),
        }
    }

    /// Sets the credentials.
    pub fn auth(mut self, auth: NatsAuth) -> Self {
        self.auth = auth;
        self
    }

    /// Sets the TLS options.
    pub fn tls(mut self, tls: NatsTls) -> Self {
        self.tls = tls;
        self
    }

    /// The async-nats options: credentials, TLS, and reconnection forever
    /// with a bounded backoff, starting in the background even when the
    /// server is down at first.
    pub(crate) async fn options(
        &self,
        client_name: &str,
    ) -> Result<async_nats::ConnectOptions, NatsError> {
        let mut options = match &self.auth {
            NatsAuth::None => async_nats::ConnectOptions::new(),
            NatsAuth::Token(token) => async_nats::ConnectOptions::with_token(token.clone()),
            NatsAuth::UserPassword { user, password } => {
                async_nats::ConnectOptions::with_user_and_password(user.clone(), password.clone())
            }
            NatsAuth::CredsFile(path) => async_nats::ConnectOptions::with_credentials_file(path)
                .await
                .map_err(|source| NatsError::Credentials {
                    path: path.clone(),
                    source,
                })?,
        };
        for root in &self.tls.root_certificates {
            options = options.add_root_certificates(root.clone());
        }
        if let Some((cert, key)) = &self.tls.client_certificate {
            options = options.add_client_certificate(cert.clone(), key.clone());
        }
        if self.tls.required {
            options = options.require_tls(true);
        }
        if self.tls.tls_first {
            options = options.tls_first();
        }
        let max_backoff = self.max_backoff;
        Ok(options
            .name(client_name)
            .retry_on_initial_connect()
            .max_reconnects(None)
            .connection_timeout(Duration::from_secs(2))
            .reconnect_delay_callback(move |attempts| backoff(attempts, max_backoff)))
    }
}

/// 100 ms, doubling per failed attempt, capped.
fn backoff(attempts: usize, max: Duration) -> Duration {
    let shift = attempts.min(16) as u32;
    Duration::from_millis(100u64.saturating_mul(1 << shift)).min(max)
}

/// What a [`NatsBridge`](super::NatsBridge) shares: which instance it is,
/// which channels it publishes, which it serves requests on.
///
/// ```
/// use switchboard::nats::NatsBridgeConfig;
/// let config = NatsBridgeConfig::new("nats://127.0.0.1:4222", "playtest-1")
///     .publish("telemetry/*")
///     .publish("scene/**")
///     .serve("scene/**");
/// assert_eq!(config.publish, ["telemetry/*", "scene/**"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatsBridgeConfig {
    /// The NATS server.
    pub connect: NatsConnect,
    /// This instance's id, one NATS subject token (letters, digits, `-`,
    /// `_`): subjects are `switchboard.<instance>.…`.
    pub instance: String,
    /// A name for people (defaults to the id).
    pub display_name: String,
    /// Channel patterns to publish on NATS.
    pub publish: Vec<String>,
    /// Channel patterns that NATS requests may reach.
    pub serve: Vec<String>,
    /// How often the instance is announced on `switchboard.instances`.
    pub heartbeat: Duration,
    /// Messages of reliable channels held while NATS is slow or down;
    /// past it, new ones are dropped, counted and reported.
    pub reliable_queue: usize,
    /// Bytes of reliable messages held (the same rule).
    pub reliable_queue_bytes: usize,
    /// The host's token, if it needs one (the bridge is a client of it).
    pub host_token: Option<String>,
}

impl NatsBridgeConfig {
    /// A bridge to `url` as `instance`, publishing and serving nothing yet.
    pub fn new(url: impl Into<String>, instance: impl Into<String>) -> Self {
        let instance = instance.into();
        Self {
            connect: NatsConnect::new(url),
            display_name: instance.clone(),
            instance,
            publish: Vec::new(),
            serve: Vec::new(),
            heartbeat: Duration::from_secs(1),
            reliable_queue: 1024,
            reliable_queue_bytes: 4 << 20,
            host_token: None,
        }
    }

    /// Also publishes the channels matching `pattern`.
    pub fn publish(mut self, pattern: impl Into<String>) -> Self {
        self.publish.push(pattern.into());
        self
    }

    /// Also serves NATS requests on the channels matching `pattern`.
    pub fn serve(mut self, pattern: impl Into<String>) -> Self {
        self.serve.push(pattern.into());
        self
    }

    /// Sets how to connect (credentials, TLS).
    pub fn connect(mut self, connect: NatsConnect) -> Self {
        self.connect = connect;
        self
    }

    /// Sets the heartbeat interval.
    pub fn heartbeat(mut self, every: Duration) -> Self {
        self.heartbeat = every;
        self
    }

    /// Sets the display name.
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = name.into();
        self
    }

    /// Checks everything that can be checked before connecting.
    pub(crate) fn validate(&self) -> Result<(Vec<ChannelPattern>, Vec<ChannelPattern>), NatsError> {
        if !subject::is_instance_id(&self.instance) {
            return Err(NatsError::InvalidInstance(self.instance.clone()));
        }
        if self.heartbeat.is_zero() {
            return Err(NatsError::InvalidConfig(
                "heartbeat must be above zero".into(),
            ));
        }
        if self.reliable_queue == 0 || self.reliable_queue_bytes == 0 {
            return Err(NatsError::InvalidConfig(
                "reliable queue bounds must be above zero".into(),
            ));
        }
        let parse = |patterns: &[String]| {
            patterns
                .iter()
                .map(|p| {
                    ChannelPattern::parse(p).map_err(|e| NatsError::InvalidPattern {
                        pattern: p.clone(),
                        reason: e.to_string(),
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        Ok((parse(&self.publish)?, parse(&self.serve)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let max = Duration::from_secs(2);
        assert_eq!(backoff(0, max), Duration::from_millis(100));
        assert_eq!(backoff(1, max), Duration::from_millis(200));
        assert_eq!(backoff(3, max), Duration::from_millis(800));
        assert_eq!(backoff(100, max), max);
    }

    #[test]
    fn bad_instance_and_pattern_are_refused() {
        let bad = NatsBridgeConfig::new("nats://x", "a.b");
        assert!(matches!(bad.validate(), Err(NatsError::InvalidInstance(_))));
        let bad = NatsBridgeConfig::new("nats://x", "a").publish("");
        assert!(matches!(
            bad.validate(),
            Err(NatsError::InvalidPattern { .. })
        ));
    }
}
