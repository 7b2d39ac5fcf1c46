//! `--plugins DIR`: the demo starts the plugins in `DIR/*/plugin.json`
//! (with the `plugins` feature; the examples in `examples/plugins` by
//! default). `--packages-dir DIR` (with `packages` too): it runs the
//! packages installed there and serves the `plugins/*` package channels.
//! Profiles go under the system's temporary folder.

use std::path::Path;

use bevy_app::App;
use switchboard::bevy::IpcPluginsPlugin;
use switchboard::plugins::{PluginsConfig, load_manifests};

pub fn add(app: &mut App, manifests: Option<&Path>, packages: Option<&Path>) {
    let mut config = PluginsConfig::new(std::env::temp_dir().join("switchboard-demo-plugins"));
    if let Some(dir) = manifests {
        match load_manifests(dir) {
            Ok(manifests) => {
                for manifest in manifests {
                    tracing::info!(
                        "starting plugin {} ({})",
                        manifest.id,
                        manifest.executable.display()
                    );
                    config = config.plugin(manifest);
                }
            }
            Err(e) => tracing::error!("no plugins started from {}: {e}", dir.display()),
        }
    }
    let plugins = IpcPluginsPlugin::new(config);
    #[cfg(feature = "packages")]
    let plugins = match packages {
        Some(dir) => {
            tracing::info!("running the packages installed in {}", dir.display());
            // PYTHONPATH: Python plugins find their SDK where the game's
            // environment says.
            plugins.packages(switchboard::packages::PackageRunner::new(dir).env(["PYTHONPATH"]))
        }
        None => plugins,
    };
    app.add_plugins(plugins);
    #[cfg(feature = "packages")]
    if let Some(dir) = packages {
        // The install hooks run through the package's plugin, which finds
        // a Python SDK the way the runner's plugins do.
        let mut hooks = switchboard::packages::PluginHooks::default();
        hooks.env.push("PYTHONPATH".to_owned());
        app.add_plugins(switchboard::agents::packages::PackageManagerPlugin::new(dir).hooks(hooks));
    }
    #[cfg(not(feature = "packages"))]
    let _ = packages;
}
