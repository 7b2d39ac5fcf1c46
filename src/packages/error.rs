//! Why a package was refused or an operation failed.

use std::path::PathBuf;

use crate::fields::FieldError;

/// What went wrong with a package, its archive, its configuration or the
/// plugins folder. Every message says what and where; those about a file
/// of the package name the file, the field and the rule.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// `info.yml` or `config.yml` breaks a rule.
    #[error("{file}: {field}: {message} (rule: {rule})")]
    Invalid {
        /// `info.yml` or `config.yml`.
        file: &'static str,
        /// The field, as a dotted path (`config.api_key.type`), or
        /// `(document)` for the file as a whole.
        field: String,
        /// The rule's short name (`required`, `reverse_dns`, `known_type`...).
        rule: &'static str,
        /// What is wrong, for people.
        message: String,
    },
    /// The zip archive is unreadable or unsafe to unpack (zip-slip,
    /// symlinks, device files, duplicates, zip bombs, limits).
    #[error("archive: {0}")]
    Archive(String),
    /// An entry the package needs is missing or unusable (the executable).
    #[error("package: {0}")]
    Content(String),
    /// Configuration values broke the rules of `config.yml`; one error
    /// per field.
    #[error("configuration refused: {}", join(.0))]
    Configuration(Vec<FieldError>),
    /// A `key=value` argument without `=`.
    #[error("configuration: {0:?} is not key=value")]
    Assignment(String),
    /// An install or removal hook failed.
    #[error("hook {hook} failed: {reason}")]
    Hook {
        /// The hook's name (`before_install`, `install`, ...).
        hook: &'static str,
        /// Exit status, timeout or start failure, and the end of stderr.
        reason: String,
    },
    /// The new version's plugin did not start (an upgrade); the old
    /// version was put back.
    #[error("{package}: the new version did not start, the old one is back: {reason}")]
    Start {
        /// The package.
        package: String,
        /// Its status: why it failed, or that it did not register in time.
        reason: String,
    },
    /// Install of a package that is already installed.
    #[error("{0} is already installed (upgrade it instead)")]
    AlreadyInstalled(String),
    /// Upgrade, configure, enable, disable or remove of a package that is
    /// not installed.
    #[error("{0} is not installed")]
    NotInstalled(String),
    /// The registry (SQLite) failed.
    #[error("registry: {0}")]
    Registry(#[from] rusqlite::Error),
    /// A file operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

fn join(errors: &[FieldError]) -> String {
    let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
    messages.join("; ")
}

impl PackageError {
    pub(crate) fn invalid(
        file: &'static str,
        field: impl Into<String>,
        rule: &'static str,
        message: impl Into<String>,
    ) -> Self {
        PackageError::Invalid {
            file,
            field: field.into(),
            rule,
            message: message.into(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| PackageError::Io { path, source }
    }

    pub(crate) fn archive(message: impl Into<String>) -> Self {
        PackageError::Archive(message.into())
    }
}
