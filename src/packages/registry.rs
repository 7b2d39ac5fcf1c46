//! The package registry: one row per installed package (package, version,
//! checksum, configuration, enabled), in an SQLite file beside the
//! installed packages.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

use super::error::PackageError;
use crate::fields::Object;

/// The schema version kept in `PRAGMA user_version`.
const SCHEMA_VERSION: i64 = 1;

/// An installed package as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstalledPackage {
    /// Reverse-DNS package name (also its folder's name).
    pub package: String,
    /// Display name from `info.yml`.
    pub name: String,
    /// Version from `info.yml`.
    pub version: String,
    /// SHA-256 of the `.lamp` file it was installed from.
    pub checksum: String,
    /// The validated configuration, secrets included.
    #[serde(skip)]
    pub configuration: Object,
    /// Whether the plugin should run.
    pub enabled: bool,
    /// When it was installed or last upgraded, in milliseconds since the
    /// Unix epoch.
    pub installed_at_ms: i64,
}

/// The SQLite registry of installed packages.
#[derive(Debug)]
pub struct PackageRegistry {
    conn: Connection,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl PackageRegistry {
    /// Opens (or creates) the registry file.
    pub fn open(path: &Path) -> Result<Self, PackageError> {
        let conn = Connection::open(path)?;
        // It holds secret settings: readable by the owner only.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(PackageError::io(path))?;
        // Two installers at once wait for each other instead of failing.
        conn.busy_timeout(Duration::from_secs(10))?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        if version == 0 {
            conn.execute_batch(&format!(
                "CREATE TABLE IF NOT EXISTS packages (
                    package TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    version TEXT NOT NULL,
                    checksum TEXT NOT NULL,
                    configuration TEXT NOT NULL,
                    enabled INTEGER NOT NULL,
                    installed_at_ms INTEGER NOT NULL
                 );
                 PRAGMA user_version = {SCHEMA_VERSION};"
            ))?;
        } else if version != SCHEMA_VERSION {
            return Err(PackageError::Content(format!(
                "the registry {} has schema version {version}; this build knows {SCHEMA_VERSION}",
                path.display()
            )));
        }
        Ok(PackageRegistry { conn })
    }

    /// Starts a transaction: the installer changes rows and files together
    /// and commits only when both are done.
    pub(crate) fn transaction(&mut self) -> Result<Transaction<'_>, PackageError> {
        Ok(self.conn.transaction()?)
    }

    /// The package's row.
    pub fn get(&self, package: &str) -> Result<Option<InstalledPackage>, PackageError> {
        get(&self.conn, package)
    }

    /// Every installed package, by name.
    pub fn list(&self) -> Result<Vec<InstalledPackage>, PackageError> {
        let mut statement = self.conn.prepare(&format!("{SELECT} ORDER BY package"))?;
        let rows = statement.query_map([], row_to_package)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row??);
        }
        Ok(out)
    }

    /// Changes the configuration.
    pub fn set_configuration(
        &self,
        package: &str,
        configuration: &Object,
    ) -> Result<(), PackageError> {
        let json = serde_json::to_string(configuration).unwrap_or_else(|_| "{}".to_owned());
        let changed = self.conn.execute(
            "UPDATE packages SET configuration = ?2 WHERE package = ?1",
            params![package, json],
        )?;
        if changed == 0 {
            return Err(PackageError::NotInstalled(package.to_owned()));
        }
        Ok(())
    }

    /// Turns the plugin on or off.
    pub fn set_enabled(&self, package: &str, enabled: bool) -> Result<(), PackageError> {
        let changed = self.conn.execute(
            "UPDATE packages SET enabled = ?2 WHERE package = ?1",
            params![package, enabled],
        )?;
        if changed == 0 {
            return Err(PackageError::NotInstalled(package.to_owned()));
        }
        Ok(())
    }
}

const SELECT: &str = "SELECT package, name, version, checksum, configuration, enabled, installed_at_ms FROM packages";

type Row = Result<InstalledPackage, PackageError>;

fn row_to_package(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    let configuration: String = row.get(4)?;
    let package: String = row.get(0)?;
    let configuration = match serde_json::from_str::<Object>(&configuration) {
        Ok(object) => object,
        Err(e) => {
            return Ok(Err(PackageError::Content(format!(
                "the registry's configuration of {package} is not a JSON object: {e}"
            ))));
        }
    };
    Ok(Ok(InstalledPackage {
        package,
        name: row.get(1)?,
        version: row.get(2)?,
        checksum: row.get(3)?,
        configuration,
        enabled: row.get(5)?,
        installed_at_ms: row.get(6)?,
    }))
}

pub(crate) fn get(
    conn: &Connection,
    package: &str,
) -> Result<Option<InstalledPackage>, PackageError> {
    let row = conn
        .query_row(
            &format!("{SELECT} WHERE package = ?1"),
            [package],
            row_to_package,
        )
        .optional()?;
    row.transpose()
}

/// Inserts or replaces a package's row.
pub(crate) fn put(conn: &Connection, row: &InstalledPackage) -> Result<(), PackageError> {
    let json = serde_json::to_string(&row.configuration).unwrap_or_else(|_| "{}".to_owned());
    conn.execute(
        "INSERT OR REPLACE INTO packages
            (package, name, version, checksum, configuration, enabled, installed_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            row.package,
            row.name,
            row.version,
            row.checksum,
            json,
            row.enabled,
            now_ms()
        ],
    )?;
    Ok(())
}

/// Deletes a package's row.
pub(crate) fn delete(conn: &Connection, package: &str) -> Result<(), PackageError> {
    conn.execute("DELETE FROM packages WHERE package = ?1", [package])?;
    Ok(())
}
