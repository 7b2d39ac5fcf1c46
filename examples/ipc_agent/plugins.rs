//! `--plugins DIR`: the demo starts the plugins in `DIR/*/plugin.json`
//! (with the `plugins` feature; the examples in `examples/plugins` by
//! default). Their profiles go under the system's temporary folder.
//! With the `packages` feature a folder given with `--plugins` is also the
//! plugins folder the editor's Plugins panel installs `.lamp` packages
//! into (the `plugins/*` channels of `PackageManagerPlugin`).

use std::path::Path;

use bevy_app::App;
use switchboard::bevy::IpcPluginsPlugin;
use switchboard::plugins::{PluginsConfig, load_manifests};

pub fn add(app: &mut App, dir: &Path, packages: bool) {
    // First: it makes the folder when missing, so a fresh one has a panel.
    #[cfg(feature = "packages")]
    if packages {
        app.add_plugins(switchboard::agents::packages::PackageManagerPlugin::new(
            dir,
        ));
    }
    #[cfg(not(feature = "packages"))]
    let _ = packages;
    let manifests = match load_manifests(dir) {
        Ok(manifests) => manifests,
        Err(e) => {
            tracing::error!("no plugins started: {e}");
            return;
        }
    };
    let mut config = PluginsConfig::new(std::env::temp_dir().join("switchboard-demo-plugins"));
    for manifest in manifests {
        tracing::info!(
            "starting plugin {} ({})",
            manifest.id,
            manifest.executable.display()
        );
        config = config.plugin(manifest);
    }
    app.add_plugins(IpcPluginsPlugin::new(config));
}
