//! The `package_archive` target: a `.lamp` file (input starting with
//! `PK`), or else the text of an `info.yml` and a `config.yml`.

use crate::packages::{Info, Limits, Package, PackageConfig, PackageError, check_package_name};

/// Small limits, so an input cannot make the target allocate much.
fn limits() -> Limits {
    Limits {
        max_entries: 64,
        max_total_size: 1 << 20,
        max_file_size: 512 << 10,
        ratio_floor: 64 << 10,
        ..Limits::default()
    }
}

/// Reads the input as the installer does, then checks what must hold for
/// any package that passes: plain relative paths within the limits, a
/// reverse-DNS name, secrets kept out of the public values, and a repack
/// that reads back to the same package.
pub fn package_archive(bytes: &[u8]) {
    if bytes.len() > super::MAX_INPUT {
        return;
    }
    if !bytes.starts_with(b"PK") {
        yaml(bytes);
        return;
    }
    let limits = limits();
    let package = match Package::read(bytes, &limits) {
        Ok(package) => package,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    let mut total = 0usize;
    let mut count = 0usize;
    for (path, content) in package.files() {
        assert!(!path.is_empty() && !path.starts_with('/'), "{path:?}");
        assert!(
            path.split('/')
                .all(|c| !c.is_empty() && c != "." && c != ".."),
            "{path:?}"
        );
        assert!(!path.contains('\\'), "{path:?}");
        total += content.len();
        count += 1;
    }
    assert!(count <= limits.max_entries);
    assert!(total as u64 <= limits.max_total_size);
    assert!(check_package_name(&package.info.package).is_ok());
    assert!(
        package
            .files()
            .any(|(path, _)| path == package.info.executable)
    );
    check_values(&package.config);
    let repacked = crate::packages::pack::write_zip(&package).expect("a read package repacks");
    let again = Package::read(&repacked, &limits).expect("a repacked package reads");
    assert_eq!(again.info, package.info);
    assert!(
        again.files().eq(package.files()),
        "files differ after a repack"
    );
}

fn yaml(bytes: &[u8]) {
    if bytes.len() > 64 << 10 {
        return;
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    match Info::from_yaml(text) {
        Ok(info) => {
            assert!(check_package_name(&info.package).is_ok());
            assert!(!info.version.is_empty() && !info.authors.is_empty());
        }
        Err(e) => assert!(
            matches!(
                e,
                PackageError::Invalid {
                    file: "info.yml",
                    ..
                }
            ),
            "{e}"
        ),
    }
    match PackageConfig::from_yaml(text) {
        Ok(config) => check_values(&config),
        Err(e) => assert!(
            matches!(
                e,
                PackageError::Invalid {
                    file: "config.yml",
                    ..
                }
            ),
            "{e}"
        ),
    }
}

/// The defaults validate to a fixed point, and public values hold no
/// secret field.
fn check_values(config: &PackageConfig) {
    match config.validate(&Default::default()) {
        Ok(values) => {
            let again = config
                .validate(&values)
                .expect("validated values validate again");
            assert_eq!(again, values, "validation is not a fixed point");
            let public = config.public_values(&values);
            for name in public.keys() {
                assert!(
                    !config.config[name].secret,
                    "secret {name} in the public values"
                );
            }
        }
        Err(PackageError::Configuration(errors)) => assert!(!errors.is_empty()),
        Err(other) => panic!("validation failed with {other}"),
    }
}
