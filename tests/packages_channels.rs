//! The `plugins/*` channels for editors, through a real WebSocket client:
//! inspect a package's form, install it by its bytes (refused until the
//! form is valid), list it without its secrets, configure, disable,
//! enable, remove; bad packages get an error answer and the game keeps
//! running frames while a slow install hook runs.
#![cfg(all(feature = "packages", feature = "bevy", feature = "cli"))]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use bevy_app::prelude::*;
use common::packages::*;
use serde_json::{Value, json};
use switchboard::HostConfig;
use switchboard::agents::packages::PackageManagerPlugin;
use switchboard::bevy::{HostStatus, IpcHostPlugin, IpcStatus};
use switchboard::client::{Client, Incoming};
use switchboard::packages::ScriptHooks;
use zip::write::SimpleFileOptions;

struct Editor {
    app: App,
    client: Client,
    frames: u64,
}

impl Editor {
    fn new(dir: &Path) -> Editor {
        common::init_logs();
        let mut app = App::new();
        app.add_plugins((
            IpcHostPlugin::new(HostConfig::default().port(0)),
            // Shell stand-ins for plugins, with `hooks/<name>` scripts.
            PackageManagerPlugin::new(dir).hooks(ScriptHooks::default()),
        ));
        app.update();
        let addr = match &app.world().resource::<IpcStatus>().0 {
            HostStatus::Listening(addr) => *addr,
            HostStatus::Failed(reason) => panic!("host failed: {reason}"),
        };
        let client = Client::connect(addr, "editor-test").unwrap();
        Editor {
            app,
            client,
            frames: 0,
        }
    }

    /// Sends a request and runs frames until its answer.
    fn ask(&mut self, channel: &str, body: &[u8]) -> Result<Value, Value> {
        let id = self
            .client
            .channel_id(channel)
            .unwrap_or_else(|| panic!("{channel} is not advertised"));
        let request = self.client.request(id, body).unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            self.app.update();
            self.frames += 1;
            if let Ok(Incoming::Response {
                request_id, result, ..
            }) = self.client.recv(Duration::from_millis(2))
                && request_id == request
            {
                return match result {
                    Ok(content) => Ok(serde_json::from_slice(&content).unwrap()),
                    Err(e) => Err(serde_json::from_str(&e).unwrap_or(json!(e))),
                };
            }
        }
        panic!("no answer on {channel}");
    }

    fn json(&mut self, channel: &str, body: Value) -> Result<Value, Value> {
        self.ask(channel, body.to_string().as_bytes())
    }
}

fn with_options(options: Value, package: &[u8]) -> Vec<u8> {
    let mut body = options.to_string().into_bytes();
    body.push(b'\n');
    body.extend_from_slice(package);
    body
}

#[test]
fn an_editor_installs_configures_and_removes_a_package() {
    let root = scratch("channels-life");
    let dir = root.join("plugins");
    let mut editor = Editor::new(&dir);
    let package = zip_with(&good_entries(), |_| {});

    let form = editor.ask("plugins/inspect", &package).unwrap();
    assert_eq!(form["info"]["package"], PACKAGE);
    assert_eq!(form["config"]["mqtt"]["required"], true);
    assert_eq!(form["config"]["api_key"]["secret"], true);
    assert!(form["device_types"]["station"].is_object());

    // The form is not filled in yet: the install is refused, field by field.
    let refused = editor.ask("plugins/install", &package).unwrap_err();
    assert_eq!(refused["code"], "invalid_configuration");
    assert_eq!(
        refused["errors"][0],
        json!({"field": "mqtt", "rule": "required", "message": "mqtt: is required"})
    );
    let refused = editor
        .ask(
            "plugins/install",
            &with_options(
                json!({"configuration": {"mqtt": "mqtt://b", "interval": 1}}),
                &package,
            ),
        )
        .unwrap_err();
    assert_eq!(refused["errors"][0]["rule"], "range");
    assert_untouched(&dir);

    let installed = editor
        .ask(
            "plugins/install",
            &with_options(
                json!({"configuration": {"mqtt": "mqtt://b", "api_key": "k3y-k3y!"}}),
                &package,
            ),
        )
        .unwrap();
    assert_eq!(
        installed,
        json!({"package": PACKAGE, "version": "1.0.0", "enabled": true})
    );
    assert!(dir.join(PACKAGE).join("plugin").is_file());

    let list = editor.json("plugins/list", json!({})).unwrap();
    let entry = &list["packages"][0];
    assert_eq!(entry["info"]["name"], "Weather station");
    assert_eq!(entry["configuration"]["mqtt"], "mqtt://b");
    assert_eq!(entry["secrets_set"], json!(["api_key"]));
    // The installed config.yml's settings, for the editor's form.
    assert_eq!(entry["config"]["mqtt"]["required"], true);
    assert_eq!(entry["config"]["api_key"]["secret"], true);
    assert!(
        !list.to_string().contains("k3y-k3y!"),
        "a secret went to a client: {list}"
    );

    let bad = editor
        .json(
            "plugins/configure",
            json!({"package": PACKAGE, "configuration": {"host": "300.0.0.1"}}),
        )
        .unwrap_err();
    assert_eq!(bad["errors"][0]["field"], "host");
    assert_eq!(bad["errors"][0]["rule"], "format");
    let good = editor
        .json("plugins/configure", json!({"package": PACKAGE, "configuration": {"host": "10.0.0.2", "api_key": "n3w-k3y!"}}))
        .unwrap();
    assert_eq!(good["configuration"]["host"], "10.0.0.2");
    assert!(!good.to_string().contains("n3w-k3y!"));

    assert_eq!(
        editor
            .json("plugins/disable", json!({"package": PACKAGE}))
            .unwrap()["enabled"],
        false
    );
    assert_eq!(
        editor.json("plugins/list", json!({})).unwrap()["packages"][0]["enabled"],
        false
    );
    assert_eq!(
        editor
            .json("plugins/enable", json!({"package": PACKAGE}))
            .unwrap()["enabled"],
        true
    );

    let upgrade = zip_with(
        &good_entries()
            .into_iter()
            .map(|(n, b)| {
                if n == "info.yml" {
                    (n, info_yml(PACKAGE, "1.1.0").into_bytes())
                } else {
                    (n, b)
                }
            })
            .collect::<Vec<_>>(),
        |_| {},
    );
    let upgraded = editor
        .ask(
            "plugins/install",
            &with_options(json!({"upgrade": true}), &upgrade),
        )
        .unwrap();
    assert_eq!(upgraded["version"], "1.1.0");

    let removed = editor
        .json("plugins/remove", json!({"package": PACKAGE}))
        .unwrap();
    assert_eq!(removed["removed"], true);
    assert_untouched(&dir);
    let gone = editor
        .json("plugins/remove", json!({"package": PACKAGE}))
        .unwrap_err();
    assert_eq!(gone["code"], "not_installed");
    drop(editor);
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn bad_packages_and_bodies_get_error_answers() {
    let root = scratch("channels-bad");
    let dir = root.join("plugins");
    let mut editor = Editor::new(&dir);
    let slip = zip_with(&good_entries(), |zip| {
        zip.start_file("../evil", SimpleFileOptions::default())
            .unwrap();
    });
    let options = json!({"configuration": {"mqtt": "mqtt://b"}});
    let refused = editor
        .ask("plugins/install", &with_options(options.clone(), &slip))
        .unwrap_err();
    assert_eq!(refused["code"], "invalid_package");
    assert!(
        refused["message"].as_str().unwrap().contains("zip-slip"),
        "{refused}"
    );
    let mut broken = good_entries();
    broken[0].1 = info_yml("Hue", "1.0.0").into_bytes();
    let refused = editor
        .ask(
            "plugins/install",
            &with_options(options.clone(), &zip_with(&broken, |_| {})),
        )
        .unwrap_err();
    assert_eq!(
        refused["errors"][0],
        json!({"file": "info.yml", "field": "package", "rule": "reverse_dns"})
    );
    let refused = editor.ask("plugins/install", b"not a zip").unwrap_err();
    assert_eq!(refused["code"], "invalid_package");
    let refused = editor
        .ask("plugins/install", b"{\"configuration\": {}}")
        .unwrap_err();
    assert_eq!(refused["code"], "bad_request");
    let refused = editor.ask("plugins/enable", b"[1, 2]").unwrap_err();
    assert_eq!(refused["code"], "bad_request");
    let refused = editor
        .json("plugins/configure", json!({"package": PACKAGE}))
        .unwrap_err();
    assert_eq!(refused["code"], "bad_request");
    assert_untouched(&dir);
    drop(editor);
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn the_game_keeps_running_frames_while_an_install_hook_runs() {
    let root = scratch("channels-slow");
    let dir = root.join("plugins");
    let mut editor = Editor::new(&dir);
    let mut entries = good_entries();
    entries.push(("hooks/install".into(), hook("sleep 2").into_bytes()));
    let package = zip_with(&entries, |_| {});
    let started = Instant::now();
    let before = editor.frames;
    editor
        .ask(
            "plugins/install",
            &with_options(json!({"configuration": {"mqtt": "mqtt://b"}}), &package),
        )
        .unwrap();
    assert!(started.elapsed() >= Duration::from_secs(2));
    // Each frame waits at most 2 ms for the client, so even a loaded
    // machine runs hundreds in those 2 s; a game thread that waited for
    // the hook would have run one or two.
    assert!(
        editor.frames - before > 20,
        "{} frames while the hook ran",
        editor.frames - before
    );
    drop(editor);
    std::fs::remove_dir_all(&root).unwrap();
}
