//! Each plugin's user-profile directories, made before it starts and handed
//! to it in `Welcome.info.directories`.

use std::path::{Path, PathBuf};

/// The directories every plugin gets, by name, under its base directory.
pub const PROFILE_DIRECTORIES: [&str; 5] = ["addons", "config", "data", "media", "log"];

/// A plugin's directories: `base` (`<profile root>/<id>`) and the named
/// ones under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Profile {
    pub base: PathBuf,
}

impl Profile {
    /// Creates `<root>/<id>` and its named directories (kept if present).
    pub(crate) fn create(root: &Path, id: &str) -> std::io::Result<Self> {
        let base = root.join(id);
        for name in PROFILE_DIRECTORIES {
            std::fs::create_dir_all(base.join(name))?;
        }
        Ok(Self { base })
    }

    /// No directories: for a plugin that failed before it got any.
    pub(crate) fn unmade() -> Self {
        Self {
            base: PathBuf::new(),
        }
    }

    /// `("base", …)` then the named directories, for `Welcome`.
    pub(crate) fn directories(&self) -> Vec<(String, String)> {
        let mut out = vec![("base".to_owned(), self.base.to_string_lossy().into_owned())];
        for name in PROFILE_DIRECTORIES {
            out.push((
                name.to_owned(),
                self.base.join(name).to_string_lossy().into_owned(),
            ));
        }
        out
    }
}
