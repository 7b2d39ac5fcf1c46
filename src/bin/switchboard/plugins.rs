//! `switchboard plugins ...`: pack, install, upgrade, list, configure,
//! enable, disable and remove plugin packages (`.lamp` files) in a plugins
//! folder. The work is done by `switchboard::packages`; this module reads
//! the command line and prints.

use std::path::{Path, PathBuf};

use clap::{Args as ClapArgs, Subcommand, ValueEnum};
use switchboard::packages::{Installer, PackageError, pack_dir};

use crate::exit::{Failure, Kind};

/// Manage plugin packages (.lamp files) in a plugins folder.
#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The plugins folder: one folder per installed package and the
    /// registry.
    #[arg(long, global = true, value_name = "DIR", default_value = "plugins")]
    plugins_dir: PathBuf,
    /// How install hooks run: `plugin` starts the package's plugin for
    /// each hook (the plugin protocol; the default when built with the
    /// `plugins` feature), `scripts` runs `hooks/<name>` scripts.
    #[arg(long, global = true, value_enum, default_value_t = HookMode::default())]
    hooks: HookMode,
    #[command(subcommand)]
    command: Command,
}

/// Which hook runner installs use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum HookMode {
    /// Through the package's plugin (`packages::PluginHooks`).
    Plugin,
    /// `hooks/<name>` scripts in the package (`packages::ScriptHooks`).
    Scripts,
}

impl Default for HookMode {
    fn default() -> Self {
        if cfg!(all(unix, feature = "plugins")) {
            HookMode::Plugin
        } else {
            HookMode::Scripts
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build a .lamp file from a folder, checking it like an install does.
    Pack {
        /// The folder with info.yml, config.yml and the executable.
        dir: PathBuf,
        /// Where to write the package.
        #[arg(short, long, value_name = "FILE.lamp")]
        output: PathBuf,
    },
    /// Install a package with its configuration (KEY=VALUE for each setting).
    Install {
        /// The .lamp file.
        file: PathBuf,
        /// Settings from the package's config.yml.
        #[arg(value_name = "KEY=VALUE")]
        settings: Vec<String>,
    },
    /// Replace an installed package by a new version; its configuration is
    /// kept (KEY=VALUE changes it) and checked again.
    Upgrade {
        /// The new version's .lamp file.
        file: PathBuf,
        /// Settings to change.
        #[arg(value_name = "KEY=VALUE")]
        settings: Vec<String>,
    },
    /// List the installed packages (secret settings are never shown).
    List {
        /// Print JSON (one array) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Change settings of an installed package.
    Configure {
        /// The package name (reverse-DNS).
        package: String,
        /// The settings to change.
        #[arg(value_name = "KEY=VALUE", required = true)]
        settings: Vec<String>,
    },
    /// Let an installed package's plugin run.
    Enable {
        /// The package name.
        package: String,
    },
    /// Keep an installed package's plugin from running.
    Disable {
        /// The package name.
        package: String,
    },
    /// Remove a package: its after-run hook, its files, its record.
    Remove {
        /// The package name.
        package: String,
    },
}

/// Runs `switchboard plugins ...`.
pub fn run(args: Args) -> Result<(), Failure> {
    match args.command {
        Command::Pack { dir, output } => pack(&dir, &output),
        Command::Install { file, settings } => {
            let mut installer = open(&args.plugins_dir, args.hooks)?;
            let package = installer.read(&read_file(&file)?).map_err(failure)?;
            let values = package
                .config
                .parse_assignments(&settings)
                .map_err(failure)?;
            let installed = installer.install(&package, &values).map_err(failure)?;
            println!(
                "installed {} {} in {}",
                installed.package,
                installed.version,
                installer.package_dir(&installed.package).display()
            );
            Ok(())
        }
        Command::Upgrade { file, settings } => {
            let mut installer = open(&args.plugins_dir, args.hooks)?;
            let package = installer.read(&read_file(&file)?).map_err(failure)?;
            let values = package
                .config
                .parse_assignments(&settings)
                .map_err(failure)?;
            let upgraded = installer.upgrade(&package, &values).map_err(failure)?;
            println!(
                "upgraded {} from {} to {}",
                upgraded.to.package, upgraded.from, upgraded.to.version
            );
            Ok(())
        }
        Command::List { json } => list(&open(&args.plugins_dir, args.hooks)?, json),
        Command::Configure { package, settings } => {
            let mut installer = open(&args.plugins_dir, args.hooks)?;
            if installer.get(&package).map_err(failure)?.is_none() {
                return Err(failure(PackageError::NotInstalled(package)));
            }
            let config = installer.installed_config(&package).map_err(failure)?;
            let values = config.parse_assignments(&settings).map_err(failure)?;
            let row = installer.configure(&package, &values).map_err(failure)?;
            let shown = serde_json::Value::Object(config.public_values(&row.configuration));
            println!("configured {package}: {shown}");
            Ok(())
        }
        Command::Enable { package } => set_enabled(&args.plugins_dir, args.hooks, &package, true),
        Command::Disable { package } => set_enabled(&args.plugins_dir, args.hooks, &package, false),
        Command::Remove { package } => {
            let warning = open(&args.plugins_dir, args.hooks)?
                .remove(&package)
                .map_err(failure)?;
            if let Some(warning) = warning {
                eprintln!("switchboard: warning: {warning}; removed anyway");
            }
            println!("removed {package}");
            Ok(())
        }
    }
}

fn pack(dir: &Path, output: &Path) -> Result<(), Failure> {
    let bytes = pack_dir(dir, &Default::default()).map_err(failure)?;
    std::fs::write(output, &bytes)
        .map_err(|e| Failure::failed(format!("{}: {e}", output.display())))?;
    println!(
        "packed {} ({} bytes, sha256 {})",
        output.display(),
        bytes.len(),
        switchboard::packages::sha256_hex(&bytes)
    );
    Ok(())
}

fn set_enabled(dir: &Path, hooks: HookMode, package: &str, enabled: bool) -> Result<(), Failure> {
    open(dir, hooks)?
        .set_enabled(package, enabled)
        .map_err(failure)?;
    println!("{} {package}", if enabled { "enabled" } else { "disabled" });
    Ok(())
}

fn list(installer: &Installer, json: bool) -> Result<(), Failure> {
    let listed = installer.list().map_err(failure)?;
    if json {
        let text = serde_json::to_string_pretty(&listed)
            .map_err(|e| Failure::failed(format!("cannot print JSON: {e}")))?;
        println!("{text}");
        return Ok(());
    }
    if listed.is_empty() {
        println!("no packages installed in {}", installer.dir().display());
        return Ok(());
    }
    for item in listed {
        let state = if item.installed.enabled {
            "enabled"
        } else {
            "disabled"
        };
        println!(
            "{}  {}  {}  {}",
            item.installed.package, item.installed.version, state, item.installed.name
        );
        if let Some(problem) = item.problem {
            println!("    problem: {problem}");
        }
    }
    Ok(())
}

fn open(dir: &Path, hooks: HookMode) -> Result<Installer, Failure> {
    let installer = Installer::open(dir).map_err(failure)?;
    match hooks {
        HookMode::Scripts => Ok(installer),
        #[cfg(all(unix, feature = "plugins"))]
        HookMode::Plugin => {
            // PYTHONPATH as a game passes it to its package runner (the
            // demo does), so a Python plugin finds its SDK the same way.
            let mut hooks = switchboard::packages::PluginHooks::default();
            hooks.env.push("PYTHONPATH".to_owned());
            Ok(installer.with_hooks(hooks))
        }
        #[cfg(not(all(unix, feature = "plugins")))]
        HookMode::Plugin => Err(Failure::new(
            Kind::Usage,
            "--hooks plugin needs a switchboard built with the plugins feature",
        )),
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>, Failure> {
    let metadata = std::fs::metadata(path)
        .map_err(|e| Failure::new(Kind::Unreachable, format!("{}: {e}", path.display())))?;
    let limit = switchboard::packages::Limits::default().max_archive_size;
    if metadata.len() > limit {
        return Err(Failure::failed(format!(
            "{}: {} bytes, more than the limit {limit} for a package",
            path.display(),
            metadata.len()
        )));
    }
    std::fs::read(path)
        .map_err(|e| Failure::new(Kind::Unreachable, format!("{}: {e}", path.display())))
}

/// Picks the exit code: a package that is not installed is not found (3),
/// a malformed KEY=VALUE is a usage error (2), everything else failed (1).
fn failure(error: PackageError) -> Failure {
    match &error {
        PackageError::NotInstalled(_) => Failure::new(Kind::Unreachable, error),
        PackageError::Assignment(_) => Failure::new(Kind::Usage, error),
        PackageError::Configuration(errors) => {
            let mut message = String::from("configuration refused:");
            for e in errors {
                message.push_str(&format!("\n  {} (rule: {})", e.message, e.rule.as_str()));
            }
            Failure::failed(message)
        }
        _ => Failure::failed(error),
    }
}
