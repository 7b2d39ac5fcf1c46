use serde_json::json;

use crate::fields::Rule;
use crate::packages::{PackageConfig, PackageError};

const GOOD: &str = r#"
config:
  mqtt: {type: string, required: true, regex: "mqtt://.+", title: MQTT}
  api_key: {type: string, length: 8, secret: true}
  name: {type: string, min_length: 2, max_length: 5}
  interval: {type: integer, minimum: 1000, maximum: 5000, default: 2000}
  ratio: {type: number, minimum: 0, maximum: 1}
  host: {type: string, format: ipv4}
  colour: {type: string, format: hex}
  mode: {type: string, enum: [fast, slow]}
  verbose: {type: boolean}
  version: {type: integer, const: 2}
device_types:
  bulb:
    name: Bulbs
    state:
      on: {type: boolean}
      intensity: {type: integer, minimum: 0, maximum: 100}
    commands:
      turn_on: {}
      set_intensity:
        payload:
          intensity: {type: integer, required: true, minimum: 0, maximum: 100}
"#;

fn refused(yaml: &str) -> (String, &'static str, String) {
    match PackageConfig::from_yaml(yaml) {
        Err(PackageError::Invalid {
            file,
            field,
            rule,
            message,
        }) => {
            assert_eq!(file, "config.yml");
            (field, rule, message)
        }
        other => panic!("{yaml}: {other:?}"),
    }
}

#[test]
fn a_good_config_reads() {
    let config = PackageConfig::from_yaml(GOOD).unwrap();
    assert_eq!(config.config.len(), 10);
    let bulb = &config.device_types["bulb"];
    assert!(bulb.commands["set_intensity"].payload["intensity"].required);
    assert!(PackageConfig::from_yaml("").unwrap().config.is_empty());
}

#[test]
fn bad_declarations_name_field_and_rule() {
    let cases = [
        (
            "config:\n  a: {type: color}\n",
            "config.a.type",
            "known_type",
        ),
        (
            "config:\n  a: {required: true}\n",
            "config.a.type",
            "required",
        ),
        (
            "config:\n  a: {type: string, range: true}\n",
            "config.a",
            "field_rules",
        ),
        (
            "config:\n  a: {type: boolean, minimum: 1}\n",
            "config.a",
            "consistent",
        ),
        (
            "config:\n  a: {type: integer, minimum: 5, maximum: 1}\n",
            "config.a",
            "consistent",
        ),
        (
            "config:\n  a: {type: string, regex: \"(\"}\n",
            "config.a",
            "consistent",
        ),
        (
            "config:\n  a: {type: integer, secret: true}\n",
            "config.a",
            "consistent",
        ),
        (
            "config:\n  a: {type: integer, maximum: 3, default: 9}\n",
            "config.a",
            "consistent",
        ),
        (
            "config:\n  a: {type: string, required: true, default: x}\n",
            "config.a",
            "consistent",
        ),
        (
            "config:\n  a: {type: string, read_only: true}\n",
            "config.a.read_only",
            "consistent",
        ),
        ("config:\n  \"a b\": {type: string}\n", "config.a b", "name"),
        ("settings: {}\n", "settings", "unknown_section"),
        (
            "device_types:\n  bulb: {state: {}}\n",
            "device_types.bulb.name",
            "required",
        ),
        (
            "device_types:\n  bulb: {name: B, colour: red}\n",
            "device_types.bulb.colour",
            "unknown_field",
        ),
        (
            "device_types:\n  bulb:\n    name: B\n    commands:\n      go: {payload: {x: {type: colour}}}\n",
            "device_types.bulb.commands.go.payload.x.type",
            "known_type",
        ),
        ("config: [\n", "(document)", "yaml"),
    ];
    for (yaml, field, rule) in cases {
        let (name, got, message) = refused(yaml);
        assert_eq!((name.as_str(), got), (field, rule), "{yaml}: {message}");
    }
}

/// Every value rule of the shared field checks, through `key=value`.
#[test]
fn every_configuration_rule() {
    let config = PackageConfig::from_yaml(GOOD).unwrap();
    let base = ["mqtt=mqtt://broker"];
    let check = |extra: &[&str]| {
        let mut all: Vec<&str> = base.to_vec();
        all.extend_from_slice(extra);
        let values = config.parse_assignments(&all).unwrap();
        config.validate(&values)
    };
    let ok = check(&[
        "api_key=12345678",
        "interval=1500",
        "ratio=0.5",
        "verbose=true",
    ])
    .unwrap();
    assert_eq!(ok["interval"], json!(1500));
    assert_eq!(ok["verbose"], json!(true));
    let defaulted = check(&[]).unwrap();
    assert_eq!(defaulted["interval"], json!(2000));

    let cases: [(&[&str], &str, Rule); 12] = [
        (&["interval=fast"], "interval", Rule::Type),
        (&["verbose=yes"], "verbose", Rule::Type),
        (&["interval=999"], "interval", Rule::Range),
        (&["ratio=1.5"], "ratio", Rule::Range),
        (&["api_key=short"], "api_key", Rule::Length),
        (&["name=x"], "name", Rule::Length),
        (&["name=toolong"], "name", Rule::Length),
        (&["host=300.1.1.1"], "host", Rule::Format),
        (&["colour=0xff"], "colour", Rule::Format),
        (&["mode=medium"], "mode", Rule::Enum),
        (&["version=3"], "version", Rule::Const),
        (&["colour_name=red"], "colour_name", Rule::UnknownField),
    ];
    for (extra, field, rule) in cases {
        match check(extra) {
            Err(PackageError::Configuration(errors)) => {
                assert_eq!(errors.len(), 1, "{errors:?}");
                assert_eq!(
                    (errors[0].field.as_str(), errors[0].rule),
                    (field, rule),
                    "{extra:?}"
                );
                assert!(
                    errors[0].message.starts_with(field),
                    "{}",
                    errors[0].message
                );
            }
            other => panic!("{extra:?}: {other:?}"),
        }
    }
    let values = config.parse_assignments(&["mqtt=http://broker"]).unwrap();
    match config.validate(&values) {
        Err(PackageError::Configuration(errors)) => assert_eq!(errors[0].rule, Rule::Regex),
        other => panic!("{other:?}"),
    }
    match config.validate(&Default::default()) {
        Err(PackageError::Configuration(errors)) => {
            assert_eq!(
                (errors[0].field.as_str(), errors[0].rule),
                ("mqtt", Rule::Required)
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        config.parse_assignments(&["mqtt"]),
        Err(PackageError::Assignment(_))
    ));
}

#[test]
fn secrets_are_left_out_of_what_clients_see() {
    let config = PackageConfig::from_yaml(GOOD).unwrap();
    let values = config
        .validate(
            &config
                .parse_assignments(&["mqtt=mqtt://b", "api_key=12345678"])
                .unwrap(),
        )
        .unwrap();
    let public = config.public_values(&values);
    assert!(public.get("api_key").is_none());
    assert_eq!(public["mqtt"], json!("mqtt://b"));
    assert_eq!(config.secrets_set(&values), ["api_key"]);
}
