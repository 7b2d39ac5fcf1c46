//! The JSON shapes of the `plugins/*` channels: request bodies in, answers
//! and error answers out. Runs on the worker thread.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::fields::Object;
use crate::packages::{Installer, PackageError};

/// The channel names.
pub const LIST: &str = "plugins/list";
/// Request: read a package's `info.yml` and `config.yml` without
/// installing it (to build the configuration form).
pub const INSPECT: &str = "plugins/inspect";
/// Request: install (or upgrade) a package.
pub const INSTALL: &str = "plugins/install";
/// Request: change settings.
pub const CONFIGURE: &str = "plugins/configure";
/// Request: let a plugin run.
pub const ENABLE: &str = "plugins/enable";
/// Request: keep a plugin from running.
pub const DISABLE: &str = "plugins/disable";
/// Request: remove a package.
pub const REMOVE: &str = "plugins/remove";

/// A request, parsed on the worker thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    List,
    Inspect,
    Install,
    Configure,
    Enable,
    Disable,
    Remove,
}

/// Every channel: name, kind, description.
pub(super) const CHANNELS: [(&str, Kind, &str); 7] = [
    (
        LIST,
        Kind::List,
        "request {} -> {packages:[..]} (secrets left out)",
    ),
    (
        INSPECT,
        Kind::Inspect,
        "request: .lamp bytes -> {info, config, device_types, checksum}",
    ),
    (
        INSTALL,
        Kind::Install,
        "request: [JSON options line {configuration?, upgrade?} \\n] .lamp bytes -> {package}",
    ),
    (
        CONFIGURE,
        Kind::Configure,
        "request {package, configuration:{..}} -> {package}",
    ),
    (
        ENABLE,
        Kind::Enable,
        "request {package} -> {package, enabled}",
    ),
    (
        DISABLE,
        Kind::Disable,
        "request {package} -> {package, enabled}",
    ),
    (
        REMOVE,
        Kind::Remove,
        "request {package} -> {package, removed, warning?}",
    ),
];

/// An error answer: a code scripts can test, a message, and for refused
/// configurations one entry per field.
#[derive(Debug, Clone)]
pub(super) struct ApiError {
    pub(super) code: &'static str,
    pub(super) message: String,
    pub(super) errors: Vec<Value>,
}

impl ApiError {
    pub(super) fn new(code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            errors: Vec::new(),
        }
    }

    pub(super) fn to_json(&self) -> String {
        let mut value = json!({"code": self.code, "message": self.message});
        if !self.errors.is_empty() {
            value["errors"] = Value::Array(self.errors.clone());
        }
        value.to_string()
    }
}

impl From<PackageError> for ApiError {
    fn from(error: PackageError) -> Self {
        let code = match &error {
            PackageError::Invalid { .. } | PackageError::Archive(_) | PackageError::Content(_) => {
                "invalid_package"
            }
            PackageError::Configuration(_) | PackageError::Assignment(_) => "invalid_configuration",
            PackageError::Hook { .. } => "hook_failed",
            PackageError::Start { .. } => "start_failed",
            PackageError::AlreadyInstalled(_) => "already_installed",
            PackageError::NotInstalled(_) => "not_installed",
            PackageError::Registry(_) | PackageError::Io { .. } => "internal",
        };
        let mut api = ApiError::new(code, error.to_string());
        match &error {
            PackageError::Configuration(errors) => {
                api.errors = errors
                    .iter()
                    .map(|e| json!({"field": e.field, "rule": e.rule.as_str(), "message": e.message}))
                    .collect();
            }
            PackageError::Invalid {
                file, field, rule, ..
            } => {
                api.errors = vec![json!({"file": file, "field": field, "rule": rule})];
            }
            _ => {}
        }
        api
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackageName {
    package: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigureBody {
    package: String,
    configuration: Object,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct InstallOptions {
    #[serde(default)]
    configuration: Object,
    #[serde(default)]
    upgrade: bool,
}

fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(body)
        .map_err(|e| ApiError::new("bad_request", format!("bad request body: {e}")))
}

/// Answers one request with the installer.
pub(super) fn answer(
    installer: &mut Installer,
    kind: Kind,
    body: &[u8],
) -> Result<Value, ApiError> {
    match kind {
        Kind::List => {
            json_body::<serde_json::Map<String, Value>>(body)?;
            let mut packages = Vec::new();
            for listed in installer.list()? {
                let mut entry = serde_json::to_value(&listed).unwrap_or_default();
                // With a plugin runner: what runs it, as plugins/status says.
                if let Some(runs) = installer.runs() {
                    entry["status"] = runs
                        .status_json(&listed.installed.package)
                        .unwrap_or(Value::Null);
                }
                packages.push(entry);
            }
            Ok(json!({"packages": packages}))
        }
        Kind::Inspect => {
            let package = installer.read(body)?;
            Ok(json!({
                "info": package.info,
                "config": package.config.config,
                "device_types": package.config.device_types,
                "checksum": package.checksum,
            }))
        }
        Kind::Install => {
            let (options, bytes) = split_install(body)?;
            let package = installer.read(bytes)?;
            let row = if options.upgrade {
                installer.upgrade(&package, &options.configuration)?.to
            } else {
                installer.install(&package, &options.configuration)?
            };
            Ok(json!({"package": row.package, "version": row.version, "enabled": row.enabled}))
        }
        Kind::Configure => {
            let request: ConfigureBody = json_body(body)?;
            let row = installer.configure(&request.package, &request.configuration)?;
            let config = installer.installed_config(&request.package)?;
            Ok(json!({
                "package": row.package,
                "configuration": config.public_values(&row.configuration),
                "secrets_set": config.secrets_set(&row.configuration),
            }))
        }
        Kind::Enable | Kind::Disable => {
            let request: PackageName = json_body(body)?;
            let enabled = kind == Kind::Enable;
            installer.set_enabled(&request.package, enabled)?;
            Ok(json!({"package": request.package, "enabled": enabled}))
        }
        Kind::Remove => {
            let request: PackageName = json_body(body)?;
            let warning = installer.remove(&request.package)?;
            let mut answer = json!({"package": request.package, "removed": true});
            if let Some(warning) = warning {
                answer["warning"] = Value::String(warning.to_string());
            }
            Ok(answer)
        }
    }
}

/// An install body is the `.lamp` bytes, optionally after one line of JSON
/// options (a zip starts with `PK`, never with `{`).
fn split_install(body: &[u8]) -> Result<(InstallOptions, &[u8]), ApiError> {
    if !body.starts_with(b"{") {
        return Ok((InstallOptions::default(), body));
    }
    let Some(end) = body.iter().position(|b| *b == b'\n') else {
        return Err(ApiError::new(
            "bad_request",
            "an options line must end with a newline, followed by the .lamp bytes",
        ));
    };
    let options = serde_json::from_slice(&body[..end])
        .map_err(|e| ApiError::new("bad_request", format!("bad options line: {e}")))?;
    Ok((options, &body[end + 1..]))
}
