//! A plugin's manifest: who it is, what to run, and what it may do. Read
//! from JSON (`plugin.json` beside the executable, say); every field but
//! `id` and `executable` is optional.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::PluginError;

/// Longest plugin id.
pub const MAX_PLUGIN_ID_LEN: usize = 64;

/// How the plugin's pipes reach it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PipeMode {
    /// Descriptors 3 (the plugin reads) and 4 (it writes), named in
    /// `SWITCHBOARD_PLUGIN_FDS=3,4`; its stdout goes to the log, so a stray
    /// print cannot corrupt the stream. The default.
    #[default]
    Fds,
    /// Its stdin and stdout (`SWITCHBOARD_PLUGIN_FDS=stdio`), for plugins
    /// that cannot open extra descriptors. Anything it prints breaks the
    /// framing and gets it restarted.
    Stdio,
}

/// What a plugin may do beyond its own channels.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Permissions {
    /// Game channels (names or patterns such as `scene/*`) the plugin asks
    /// to send to and call; it gets those the game's config also allows
    /// ([`PluginsConfig::allow_game_channels`](super::PluginsConfig::allow_game_channels)).
    /// A pattern matching `hardware/<op>` also allows the device request
    /// `<op>` on `plugins/control` ([`DeviceOp::permission`](super::DeviceOp::permission)).
    #[serde(default)]
    pub call: Vec<String>,
}

/// One plugin, as its manifest describes it.
///
/// ```
/// use switchboard::plugins::PluginManifest;
/// let manifest = PluginManifest::from_json(
///     r#"{"id": "weather", "executable": "weather.py", "args": ["--fast"],
///         "env": ["PYTHONPATH"], "permissions": {"call": ["scene/*"]}}"#,
///     "/opt/game/plugins/weather".as_ref(),
/// )?;
/// assert_eq!(manifest.id, "weather");
/// assert!(manifest.executable.ends_with("weather/weather.py"));
/// # Ok::<(), switchboard::plugins::PluginError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginManifest {
    /// The id it registers with: `[a-z0-9_-]`, 1 to 64 characters. Its
    /// channels are `plugins/<id>/...`.
    pub id: String,
    /// What to run; relative paths are from the manifest's folder.
    pub executable: PathBuf,
    /// Its arguments.
    #[serde(default)]
    pub args: Vec<String>,
    /// The executable's SHA-256 in hex; checked before every start when set.
    #[serde(default)]
    pub sha256: Option<String>,
    /// Names of the game's environment variables the plugin gets; nothing
    /// else is passed but the `SWITCHBOARD_*` variables.
    #[serde(default)]
    pub env: Vec<String>,
    /// Its working directory (relative: from the manifest's folder);
    /// default the manifest's folder.
    #[serde(default)]
    pub working_dir: Option<PathBuf>,
    /// How the pipes reach it.
    #[serde(default)]
    pub pipes: PipeMode,
    /// What it may do beyond its own channels.
    #[serde(default)]
    pub permissions: Permissions,
}

impl PluginManifest {
    /// A manifest for `id` running `executable` with everything else
    /// default, for games that configure plugins in code.
    pub fn new(id: impl Into<String>, executable: impl Into<PathBuf>) -> Self {
        Self {
            id: id.into(),
            executable: executable.into(),
            args: Vec::new(),
            sha256: None,
            env: Vec::new(),
            working_dir: None,
            pipes: PipeMode::Fds,
            permissions: Permissions::default(),
        }
    }

    /// Parses and checks a manifest; relative paths are taken from `folder`.
    pub fn from_json(json: &str, folder: &Path) -> Result<Self, PluginError> {
        let mut manifest: Self =
            serde_json::from_str(json).map_err(|e| PluginError::InvalidManifest {
                what: folder.display().to_string(),
                reason: e.to_string(),
            })?;
        manifest.validate()?;
        manifest.executable = folder.join(&manifest.executable);
        manifest.working_dir = Some(match manifest.working_dir.take() {
            Some(dir) => folder.join(dir),
            None => folder.to_owned(),
        });
        manifest.validate()?;
        Ok(manifest)
    }

    /// Reads and checks a manifest file.
    pub fn from_file(path: &Path) -> Result<Self, PluginError> {
        let json = std::fs::read_to_string(path).map_err(|source| PluginError::ReadManifest {
            path: path.to_owned(),
            source,
        })?;
        Self::from_json(&json, path.parent().unwrap_or(Path::new(".")))
    }

    /// Checks the id, the checksum's form and the variable names.
    pub fn validate(&self) -> Result<(), PluginError> {
        let bad = |reason: String| PluginError::InvalidManifest {
            what: format!("for {:?}", self.id),
            reason,
        };
        validate_plugin_id(&self.id).map_err(bad)?;
        if self.executable.as_os_str().is_empty() {
            return Err(bad("executable is empty".to_owned()));
        }
        if let Some(sum) = &self.sha256 {
            if sum.len() != 64 || !sum.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad(format!("sha256 must be 64 hex digits, got {sum:?}")));
            }
        }
        for name in &self.env {
            if name.is_empty() || name.contains('=') || name.contains('\0') {
                return Err(bad(format!("env names a bad variable {name:?}")));
            }
        }
        Ok(())
    }
}

/// Every `<dir>/<folder>/plugin.json`, in folder-name order: a folder of
/// plugins, one per subfolder. Folders without a manifest are skipped.
pub fn load_manifests(dir: &Path) -> Result<Vec<PluginManifest>, PluginError> {
    let entries = std::fs::read_dir(dir).map_err(|source| PluginError::ReadManifest {
        path: dir.to_owned(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("plugin.json"))
        .filter(|file| file.is_file())
        .collect();
    files.sort();
    files
        .iter()
        .map(|file| PluginManifest::from_file(file))
        .collect()
}

/// Checks a plugin id: `[a-z0-9_-]`, 1 to [`MAX_PLUGIN_ID_LEN`] characters.
pub fn validate_plugin_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > MAX_PLUGIN_ID_LEN {
        return Err(format!(
            "id must be 1 to {MAX_PLUGIN_ID_LEN} characters, got {id:?}"
        ));
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    {
        return Err(format!(
            "id may hold only a-z, 0-9, '_' and '-', got {id:?}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_relative_paths() {
        let m = PluginManifest::from_json(r#"{"id":"a","executable":"run.sh"}"#, Path::new("/p"))
            .unwrap();
        assert_eq!(m.executable, Path::new("/p/run.sh"));
        assert_eq!(m.working_dir.as_deref(), Some(Path::new("/p")));
        assert_eq!(m.pipes, PipeMode::Fds);
        let m = PluginManifest::from_json(
            r#"{"id":"a","executable":"/bin/x","pipes":"stdio","working_dir":"w"}"#,
            Path::new("/p"),
        )
        .unwrap();
        assert_eq!(m.executable, Path::new("/bin/x"));
        assert_eq!(m.working_dir.as_deref(), Some(Path::new("/p/w")));
        assert_eq!(m.pipes, PipeMode::Stdio);
    }

    #[test]
    fn the_example_folder_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/plugins");
        let ids: Vec<String> = load_manifests(&dir)
            .unwrap()
            .into_iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(ids, ["counter", "weather"]);
        assert!(load_manifests(Path::new("/nonexistent-plugins")).is_err());
    }

    #[test]
    fn bad_manifests_say_what_is_wrong() {
        for (json, needle) in [
            (r#"{"id":"A","executable":"x"}"#, "a-z"),
            (r#"{"id":"","executable":"x"}"#, "1 to 64"),
            (r#"{"id":"a","executable":""}"#, "executable"),
            (r#"{"id":"a","executable":"x","sha256":"12"}"#, "64 hex"),
            (r#"{"id":"a","executable":"x","env":["A=B"]}"#, "A=B"),
            (r#"{"id":"a","executable":"x","colour":1}"#, "colour"),
            (r#"{"id":"a"}"#, "executable"),
        ] {
            let e = PluginManifest::from_json(json, Path::new("/p")).unwrap_err();
            assert!(e.to_string().contains(needle), "{json}: {e}");
        }
    }
}
