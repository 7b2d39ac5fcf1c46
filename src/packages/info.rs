//! `info.yml`: who made the plugin and how to reach them, its version and
//! package name, and the manifest fields the plugin runner uses (id,
//! executable, SHA-256, permissions).
//!
//! Read field by field rather than through serde so that every error names
//! the field and the rule it broke.

use serde::Serialize;
use serde_norway::{Mapping, Value};

use super::error::PackageError;

const FILE: &str = "info.yml";

/// The executable's name when `info.yml` names none.
pub const DEFAULT_EXECUTABLE: &str = "plugin";

/// The longest package name: a DNS name's limit.
const MAX_PACKAGE_LEN: usize = 253;
/// The longest one-line text field (name, abstract, license, author).
const MAX_LINE: usize = 200;
/// The longest description.
const MAX_DESCRIPTION: usize = 10_000;

/// A package's `info.yml`, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Info {
    /// `MAJOR[.MINOR[.PATCH]]` with an optional `-suffix`.
    pub version: String,
    /// Display name.
    pub name: String,
    /// Reverse-DNS package name, e.g. `com.example.weather`; also the
    /// folder it is installed in.
    pub package: String,
    /// One line about the plugin.
    #[serde(rename = "abstract")]
    pub summary: String,
    /// The long description.
    pub description: String,
    /// The source repository's URL.
    pub repository: String,
    /// The plugin's website.
    pub website: String,
    /// Contact email.
    pub email: String,
    /// License (an SPDX expression, usually).
    pub license: String,
    /// `Name <email>` lines.
    pub authors: Vec<String>,
    /// Manifest: the id the plugin registers with; the package name when
    /// absent.
    pub id: String,
    /// Manifest: the executable's path inside the package
    /// ([`DEFAULT_EXECUTABLE`] when absent).
    pub executable: String,
    /// Manifest: the executable's SHA-256 (64 lowercase hex digits), if
    /// the author pinned it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Manifest: the game channels the plugin asks to call.
    pub permissions: Vec<String>,
}

const REQUIRED: [&str; 10] = [
    "version",
    "name",
    "package",
    "abstract",
    "description",
    "repository",
    "website",
    "email",
    "license",
    "authors",
];
const OPTIONAL: [&str; 4] = ["id", "executable", "sha256", "permissions"];

impl Info {
    /// Parses and checks `info.yml`.
    ///
    /// ```
    /// use switchboard::packages::{Info, PackageError};
    ///
    /// let text = "version: 1.0\nname: Weather\npackage: Weather\nabstract: a\n\
    ///     description: d\nrepository: https://example.com/r\nwebsite: https://example.com\n\
    ///     email: a@example.com\nlicense: MIT\nauthors: [A <a@example.com>]\n";
    /// match Info::from_yaml(text) {
    ///     Err(PackageError::Invalid { file, field, rule, .. }) => {
    ///         assert_eq!((file, field.as_str(), rule), ("info.yml", "package", "reverse_dns"));
    ///     }
    ///     other => panic!("{other:?}"),
    /// }
    /// ```
    pub fn from_yaml(yaml: &str) -> Result<Info, PackageError> {
        let document: Value = serde_norway::from_str(yaml).map_err(|e| {
            PackageError::invalid(FILE, "(document)", "yaml", format!("not valid YAML: {e}"))
        })?;
        let Value::Mapping(map) = document else {
            return Err(PackageError::invalid(
                FILE,
                "(document)",
                "mapping",
                "must be a mapping of fields",
            ));
        };
        for key in map.keys() {
            let known = key
                .as_str()
                .is_some_and(|k| REQUIRED.contains(&k) || OPTIONAL.contains(&k));
            if !known {
                return Err(PackageError::invalid(
                    FILE,
                    yaml_key(key),
                    "unknown_field",
                    format!("is not a field of info.yml (fields: {})", fields_list()),
                ));
            }
        }
        let package = line(&map, "package")?;
        check_package_name(&package)?;
        let version = version(&map)?;
        let email = line(&map, "email")?;
        check_email(&email)?;
        let repository = url(&map, "repository")?;
        let website = url(&map, "website")?;
        let authors = list(&map, "authors", true)?;
        let id = match optional(&map, "id") {
            None => package.clone(),
            Some(_) => {
                let id = line(&map, "id")?;
                check_id(&id)?;
                id
            }
        };
        let executable = match optional(&map, "executable") {
            None => DEFAULT_EXECUTABLE.to_owned(),
            Some(_) => line(&map, "executable")?,
        };
        let sha256 = match optional(&map, "sha256") {
            None => None,
            Some(_) => {
                let digest = line(&map, "sha256")?;
                if digest.len() != 64
                    || !digest
                        .chars()
                        .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
                {
                    return Err(PackageError::invalid(
                        FILE,
                        "sha256",
                        "sha256",
                        format!("{digest:?} is not 64 lowercase hex digits"),
                    ));
                }
                Some(digest)
            }
        };
        let permissions = list(&map, "permissions", false)?;
        for (i, permission) in permissions.iter().enumerate() {
            if permission.chars().any(char::is_whitespace)
                || permission.len() > crate::MAX_CHANNEL_NAME_LEN
            {
                return Err(PackageError::invalid(
                    FILE,
                    format!("permissions[{i}]"),
                    "channel",
                    format!(
                        "{permission:?} is not a channel name or pattern (no spaces, at most {} bytes)",
                        crate::MAX_CHANNEL_NAME_LEN
                    ),
                ));
            }
        }
        Ok(Info {
            version,
            name: line(&map, "name")?,
            package,
            summary: line(&map, "abstract")?,
            description: text(&map, "description", MAX_DESCRIPTION)?,
            repository,
            website,
            email,
            license: line(&map, "license")?,
            authors,
            id,
            executable,
            sha256,
            permissions,
        })
    }
}

fn fields_list() -> String {
    let all: Vec<&str> = REQUIRED.iter().chain(OPTIONAL.iter()).copied().collect();
    all.join(", ")
}

fn yaml_key(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        other => serde_norway::to_string(other)
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|_| "(key)".to_owned()),
    }
}

fn optional<'a>(map: &'a Mapping, field: &str) -> Option<&'a Value> {
    map.get(field).filter(|v| !v.is_null())
}

fn required<'a>(map: &'a Mapping, field: &'static str) -> Result<&'a Value, PackageError> {
    optional(map, field)
        .ok_or_else(|| PackageError::invalid(FILE, field, "required", "is required"))
}

/// A non-empty text of at most `max` characters.
fn text(map: &Mapping, field: &'static str, max: usize) -> Result<String, PackageError> {
    let Value::String(s) = required(map, field)? else {
        return Err(PackageError::invalid(
            FILE,
            field,
            "type",
            "must be a string",
        ));
    };
    let s = s.trim();
    if s.is_empty() {
        return Err(PackageError::invalid(FILE, field, "required", "is empty"));
    }
    if s.chars().count() > max {
        return Err(PackageError::invalid(
            FILE,
            field,
            "length",
            format!("is longer than {max} characters"),
        ));
    }
    Ok(s.to_owned())
}

/// A non-empty single line.
fn line(map: &Mapping, field: &'static str) -> Result<String, PackageError> {
    let s = text(map, field, MAX_LINE)?;
    if s.contains(['\n', '\r']) {
        return Err(PackageError::invalid(
            FILE,
            field,
            "single_line",
            "must be one line",
        ));
    }
    Ok(s)
}

fn list(map: &Mapping, field: &'static str, needed: bool) -> Result<Vec<String>, PackageError> {
    let value = if needed {
        required(map, field)?
    } else {
        match optional(map, field) {
            Some(value) => value,
            None => return Ok(Vec::new()),
        }
    };
    let Value::Sequence(items) = value else {
        return Err(PackageError::invalid(FILE, field, "type", "must be a list"));
    };
    if needed && items.is_empty() {
        return Err(PackageError::invalid(
            FILE,
            field,
            "required",
            "must name at least one",
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::String(s) if !s.trim().is_empty() && s.chars().count() <= MAX_LINE => {
                out.push(s.trim().to_owned())
            }
            _ => {
                return Err(PackageError::invalid(
                    FILE,
                    format!("{field}[{i}]"),
                    "type",
                    format!("must be a non-empty string of at most {MAX_LINE} characters"),
                ));
            }
        }
    }
    Ok(out)
}

/// Reverse domain name notation: at least two dot-separated labels of
/// lowercase letters, digits and `-`, each 1 to 63 characters, neither
/// starting nor ending with `-`; the first label starts with a letter.
pub fn check_package_name(package: &str) -> Result<(), PackageError> {
    let fail = |why: &str| {
        Err(PackageError::invalid(
            FILE,
            "package",
            "reverse_dns",
            format!("{package:?} is not a reverse-DNS name like com.example.plugin: {why}"),
        ))
    };
    if package.len() > MAX_PACKAGE_LEN {
        return fail("longer than 253 characters");
    }
    let labels: Vec<&str> = package.split('.').collect();
    if labels.len() < 2 {
        return fail("needs at least two labels separated by dots");
    }
    for label in &labels {
        if label.is_empty() || label.len() > 63 {
            return fail("each label has 1 to 63 characters");
        }
        if !label
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return fail("labels hold lowercase letters, digits and '-' only");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return fail("a label neither starts nor ends with '-'");
        }
    }
    if !labels[0].starts_with(|c: char| c.is_ascii_lowercase()) {
        return fail("the first label starts with a letter");
    }
    Ok(())
}

/// A version: `MAJOR[.MINOR[.PATCH]]`, numbers without leading zeros,
/// with an optional `-suffix` of letters, digits, `.` and `-`. YAML reads
/// `2.1` as a number, so numbers are taken as written.
fn version(map: &Mapping) -> Result<String, PackageError> {
    let value = required(map, "version")?;
    let version = match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => {
            return Err(PackageError::invalid(
                FILE,
                "version",
                "type",
                "must be a string like 1.2.0",
            ));
        }
    };
    let (core, suffix) = match version.split_once('-') {
        Some((core, suffix)) => (core, Some(suffix)),
        None => (version.as_str(), None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    let numbers_ok = (1..=3).contains(&parts.len())
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 9
                && p.chars().all(|c| c.is_ascii_digit())
                && (p.len() == 1 || !p.starts_with('0'))
        });
    let suffix_ok = suffix.is_none_or(|s| {
        !s.is_empty()
            && s.len() <= 40
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    });
    if !numbers_ok || !suffix_ok {
        return Err(PackageError::invalid(
            FILE,
            "version",
            "version",
            format!("{version:?} is not MAJOR[.MINOR[.PATCH]][-suffix], e.g. 1.2.0"),
        ));
    }
    Ok(version)
}

fn check_email(email: &str) -> Result<(), PackageError> {
    let ok = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email
                    .chars()
                    .any(|c| c.is_whitespace() || c == '<' || c == '>')
                && !domain.contains('@')
        }
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(PackageError::invalid(
            FILE,
            "email",
            "email",
            format!("{email:?} is not an address like name@example.com"),
        ))
    }
}

fn url(map: &Mapping, field: &'static str) -> Result<String, PackageError> {
    let url = line(map, field)?;
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
    match host {
        Some(host) if !host.is_empty() && !url.chars().any(char::is_whitespace) => Ok(url),
        _ => Err(PackageError::invalid(
            FILE,
            field,
            "url",
            format!("{url:?} is not an http:// or https:// URL with a host"),
        )),
    }
}

fn check_id(id: &str) -> Result<(), PackageError> {
    let ok = !id.is_empty()
        && id.len() <= 100
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if ok {
        Ok(())
    } else {
        Err(PackageError::invalid(
            FILE,
            "id",
            "plugin_id",
            format!("{id:?} must be 1 to 100 letters, digits, '.', '-' or '_'"),
        ))
    }
}
