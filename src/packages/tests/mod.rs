//! The rules of `info.yml` and `config.yml`, one case each, and the
//! archive reader's refusals on zips built here.

mod archive;
mod config;
mod info;

/// A valid `info.yml`, with `replace` applied (`field: value` lines).
pub(super) fn info_yaml(replace: &[(&str, &str)]) -> String {
    let mut lines: Vec<(String, String)> = [
        ("version", "1.2.0"),
        ("name", "Weather station"),
        ("package", "com.example.weather"),
        ("abstract", "Reports the weather"),
        ("description", "A simulated weather station."),
        ("repository", "https://example.com/weather.git"),
        ("website", "https://example.com/weather"),
        ("email", "dev@example.com"),
        ("license", "MIT"),
        ("authors", "[\"Dev <dev@example.com>\"]"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (key, value) in replace {
        match lines.iter_mut().find(|(k, _)| k == key) {
            Some(line) => line.1 = value.to_string(),
            None => lines.push((key.to_string(), value.to_string())),
        }
    }
    lines
        .iter()
        .filter(|(_, v)| v != "<absent>")
        .map(|(k, v)| format!("{k}: {v}\n"))
        .collect()
}
