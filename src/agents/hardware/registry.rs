//! The device registry: registered devices, their names, configuration and
//! last state, in an SQLite file so they survive a restart of the game.
//!
//! Writes are small and happen on the game thread; the file uses WAL with
//! `synchronous = NORMAL`, so a commit does not wait for the disk to flush
//! (a crash of the game loses nothing committed; a power cut may lose the
//! last few state updates).

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, params};

use super::adapter::{Object, Radio};

/// The schema version kept in `PRAGMA user_version`.
const SCHEMA_VERSION: i64 = 1;

/// Why the registry failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("device registry: {0}")]
pub struct RegistryError(pub String);

impl From<rusqlite::Error> for RegistryError {
    fn from(e: rusqlite::Error) -> Self {
        RegistryError(e.to_string())
    }
}

impl From<serde_json::Error> for RegistryError {
    fn from(e: serde_json::Error) -> Self {
        RegistryError(format!("bad JSON in the registry: {e}"))
    }
}

/// A registered device as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDevice {
    /// `radio:address`.
    pub id: String,
    /// Its radio.
    pub radio: Radio,
    /// Its address on that radio.
    pub address: String,
    /// Its device type id.
    pub type_id: String,
    /// Maker.
    pub manufacturer: String,
    /// Model.
    pub model: String,
    /// The name people gave it.
    pub name: String,
    /// Its validated configuration.
    pub config: Object,
    /// Its last known state.
    pub state: Object,
}

/// The SQLite registry.
#[derive(Debug)]
pub struct Registry {
    conn: Connection,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Registry {
    /// Opens (or creates) the registry file.
    pub fn open(path: &Path) -> Result<Self, RegistryError> {
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)
                .map_err(|e| RegistryError(format!("cannot create {}: {e}", parent.display())))?;
        }
        let conn = Connection::open(path)
            .map_err(|e| RegistryError(format!("cannot open {}: {e}", path.display())))?;
        conn.busy_timeout(Duration::from_secs(1))?;
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        conn.execute_batch("PRAGMA synchronous = NORMAL;")?;
        Self::init(conn)
    }

    /// A registry that lives in memory only (nothing survives a restart).
    pub fn in_memory() -> Result<Self, RegistryError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Self, RegistryError> {
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(RegistryError(format!(
                "the file has schema version {version}; this build knows up to {SCHEMA_VERSION}"
            )));
        }
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS devices (
                id            TEXT PRIMARY KEY,
                radio         TEXT NOT NULL,
                address       TEXT NOT NULL,
                type          TEXT NOT NULL,
                manufacturer  TEXT NOT NULL,
                model         TEXT NOT NULL,
                name          TEXT NOT NULL,
                config        TEXT NOT NULL,
                state         TEXT NOT NULL,
                registered_ms INTEGER NOT NULL,
                updated_ms    INTEGER NOT NULL
            );
            PRAGMA user_version = 1;",
        )?;
        Ok(Self { conn })
    }

    /// Every registered device, by id.
    pub fn load_all(&self) -> Result<Vec<StoredDevice>, RegistryError> {
        let mut statement = self.conn.prepare(
            "SELECT id, radio, address, type, manufacturer, model, name, config, state
             FROM devices ORDER BY id",
        )?;
        let rows = statement.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, String>(8)?,
            ))
        })?;
        let mut devices = Vec::new();
        for row in rows {
            let (id, radio, address, type_id, manufacturer, model, name, config, state) = row?;
            let radio: Radio = match radio.parse() {
                Ok(radio) => radio,
                Err(e) => {
                    tracing::warn!("registry: skipping {id}: {e}");
                    continue;
                }
            };
            devices.push(StoredDevice {
                id,
                radio,
                address,
                type_id,
                manufacturer,
                model,
                name,
                config: serde_json::from_str(&config)?,
                state: serde_json::from_str(&state)?,
            });
        }
        Ok(devices)
    }

    /// Adds a device or replaces what is stored about it.
    pub fn upsert(&self, device: &StoredDevice) -> Result<(), RegistryError> {
        let now = now_ms();
        self.conn.execute(
            "INSERT INTO devices
                (id, radio, address, type, manufacturer, model, name, config, state,
                 registered_ms, updated_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)
             ON CONFLICT(id) DO UPDATE SET
                radio = excluded.radio, address = excluded.address, type = excluded.type,
                manufacturer = excluded.manufacturer, model = excluded.model,
                name = excluded.name, config = excluded.config, state = excluded.state,
                updated_ms = excluded.updated_ms",
            params![
                device.id,
                device.radio.as_str(),
                device.address,
                device.type_id,
                device.manufacturer,
                device.model,
                device.name,
                serde_json::to_string(&device.config)?,
                serde_json::to_string(&device.state)?,
                now,
            ],
        )?;
        Ok(())
    }

    /// Records a device's latest state.
    pub fn set_state(&self, id: &str, state: &Object) -> Result<(), RegistryError> {
        self.conn.execute(
            "UPDATE devices SET state = ?2, updated_ms = ?3 WHERE id = ?1",
            params![id, serde_json::to_string(state)?, now_ms()],
        )?;
        Ok(())
    }

    /// Records a device's name and configuration.
    pub fn set_settings(&self, id: &str, name: &str, config: &Object) -> Result<(), RegistryError> {
        self.conn.execute(
            "UPDATE devices SET name = ?2, config = ?3, updated_ms = ?4 WHERE id = ?1",
            params![id, name, serde_json::to_string(config)?, now_ms()],
        )?;
        Ok(())
    }

    /// Forgets a device.
    pub fn remove(&self, id: &str) -> Result<bool, RegistryError> {
        Ok(self
            .conn
            .execute("DELETE FROM devices WHERE id = ?1", params![id])?
            > 0)
    }

    /// One device, if registered.
    pub fn get(&self, id: &str) -> Result<Option<StoredDevice>, RegistryError> {
        Ok(self.load_all()?.into_iter().find(|d| d.id == id))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sample() -> StoredDevice {
        let object = |v: serde_json::Value| v.as_object().unwrap().clone();
        StoredDevice {
            id: "zigbee:00124b0000000001".into(),
            radio: Radio::Zigbee,
            address: "00124b0000000001".into(),
            type_id: "bulb".into(),
            manufacturer: "M".into(),
            model: "X".into(),
            name: "Kitchen".into(),
            config: object(json!({"transition_ms": 100})),
            state: object(json!({"on": true, "brightness": 40})),
        }
    }

    #[test]
    fn survives_reopening_the_file() {
        let path = std::env::temp_dir().join(format!(
            "switchboard-registry-unit-{}.sqlite",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&path);
        {
            let registry = Registry::open(&path).unwrap();
            registry.upsert(&sample()).unwrap();
            let state = json!({"on": false, "brightness": 10});
            registry
                .set_state(&sample().id, state.as_object().unwrap())
                .unwrap();
            registry
                .set_settings(&sample().id, "Hall", &Object::new())
                .unwrap();
        }
        let registry = Registry::open(&path).unwrap();
        let all = registry.load_all().unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].name, "Hall");
        assert_eq!(all[0].state["brightness"], json!(10));
        assert!(all[0].config.is_empty());
        assert!(registry.get(&sample().id).unwrap().is_some());
        assert!(registry.remove(&sample().id).unwrap());
        assert!(registry.get(&sample().id).unwrap().is_none());
        drop(registry);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
