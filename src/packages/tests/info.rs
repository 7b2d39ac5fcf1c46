use super::info_yaml;
use crate::packages::{Info, PackageError};

fn refused(replace: &[(&str, &str)]) -> (String, &'static str, String) {
    match Info::from_yaml(&info_yaml(replace)) {
        Err(PackageError::Invalid {
            file,
            field,
            rule,
            message,
        }) => {
            assert_eq!(file, "info.yml");
            (field, rule, message)
        }
        other => panic!("{replace:?}: {other:?}"),
    }
}

#[test]
fn a_good_info_reads_with_defaults() {
    let info = Info::from_yaml(&info_yaml(&[])).unwrap();
    assert_eq!(info.package, "com.example.weather");
    assert_eq!(info.id, "com.example.weather");
    assert_eq!(info.executable, "plugin");
    assert!(info.permissions.is_empty());
    let info = Info::from_yaml(&info_yaml(&[
        ("version", "2.1"),
        ("id", "weather"),
        ("executable", "bin/weather.py"),
        ("permissions", "[\"hardware/devices\", \"game/*\"]"),
        ("sha256", &"ab".repeat(32)),
    ]))
    .unwrap();
    assert_eq!(info.version, "2.1");
    assert_eq!(info.id, "weather");
    assert_eq!(info.permissions.len(), 2);
}

#[test]
fn every_required_field_is_required() {
    for field in [
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
    ] {
        let (name, rule, _) = refused(&[(field, "<absent>")]);
        assert_eq!((name.as_str(), rule), (field, "required"));
    }
}

#[test]
fn each_rule_names_its_field() {
    let cases: [(&str, &str, &str, &str); 16] = [
        ("package", "Hue", "package", "reverse_dns"),
        ("package", "com", "package", "reverse_dns"),
        ("package", "com..hue", "package", "reverse_dns"),
        ("package", "com.Phillips.hue", "package", "reverse_dns"),
        ("package", "1com.hue", "package", "reverse_dns"),
        ("package", "com.-hue", "package", "reverse_dns"),
        ("package", "\"com.hue/../../etc\"", "package", "reverse_dns"),
        ("version", "one", "version", "version"),
        ("version", "\"01.2\"", "version", "version"),
        ("email", "support", "email", "email"),
        ("repository", "ftp://example.com", "repository", "url"),
        ("website", "https://", "website", "url"),
        ("authors", "[]", "authors", "required"),
        ("sha256", "abc", "sha256", "sha256"),
        ("id", "\"a b\"", "id", "plugin_id"),
        ("colour", "blue", "colour", "unknown_field"),
    ];
    for (key, value, field, rule) in cases {
        let (name, got, message) = refused(&[(key, value)]);
        assert_eq!(
            (name.as_str(), got),
            (field, rule),
            "{key}: {value} -> {message}"
        );
    }
}

#[test]
fn errors_read_as_file_field_rule() {
    let error = Info::from_yaml(&info_yaml(&[("package", "Hue")])).unwrap_err();
    let text = error.to_string();
    assert!(
        text.starts_with("info.yml: package: \"Hue\" is not a reverse-DNS name"),
        "{text}"
    );
    assert!(text.ends_with("(rule: reverse_dns)"), "{text}");
    for broken in ["version: [", "- a list", ""] {
        let error = Info::from_yaml(broken).unwrap_err();
        assert!(
            error.to_string().starts_with("info.yml: (document)"),
            "{error}"
        );
    }
}
