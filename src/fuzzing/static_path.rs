//! The `static_path` target: serving `web_root` never leaves the folder.

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::net::transport::ws::{http, static_files};

/// A request target served from a small web root that has symlinks leading
/// out (`static_files::serve`, the only caller of the private path
/// sanitizer and percent decoder): whatever the target, the answer is never
/// a file outside the root, and the sanitizer refuses exactly what a
/// strict reading of its rules refuses.
pub fn static_path(bytes: &[u8]) {
    if bytes.len() > 64 << 10 {
        return;
    }
    let target = String::from_utf8_lossy(bytes);
    for method in ["GET", "HEAD"] {
        check_served(&http::RequestHead {
            method: method.to_owned(),
            path: target.to_string(),
            ..http::RequestHead::default()
        });
    }
}

pub(super) fn check_served(head: &http::RequestHead) {
    let fixture = web_fixture();
    let target = &head.path;
    let response = static_files::serve(&fixture.root, head);
    if head.method != "GET" && head.method != "HEAD" {
        assert_eq!(response.status, 405);
        return;
    }
    assert!(
        matches!(response.status, 200 | 400 | 404),
        "status {} for {target:?}",
        response.status
    );
    assert_ne!(
        response.body, SECRET,
        "{target:?} served a file outside the root"
    );
    if response.status == 200 {
        assert!(
            fixture.inside.contains(&response.body),
            "{target:?} served something that is not a file of the root"
        );
    }
    assert_eq!(
        response.status == 400,
        !reference_path_allowed(target),
        "the sanitizer and its reference disagree on {target:?}"
    );
}

/// The sanitizer's rules, read strictly: the path part (before `?` or `#`)
/// starts with '/', every '%' is followed by two hex digits, the decoded
/// bytes are UTF-8, and no segment is `..` or holds '\\', NUL or ':'.
fn reference_path_allowed(target: &str) -> bool {
    let path = target.split(['?', '#']).next().unwrap_or("");
    if !path.starts_with('/') {
        return false;
    }
    let hex = |b: u8| char::from(b).to_digit(16);
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = bytes.get(i + 1).and_then(|b| hex(*b));
            let lo = bytes.get(i + 2).and_then(|b| hex(*b));
            let (Some(hi), Some(lo)) = (hi, lo) else {
                return false;
            };
            decoded.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    let Ok(decoded) = String::from_utf8(decoded) else {
        return false;
    };
    decoded
        .split('/')
        .all(|s| s != ".." && !s.contains(['\\', '\0', ':']))
}

const SECRET: &[u8] = b"outside the web root\n";

struct WebFixture {
    root: PathBuf,
    inside: Vec<Vec<u8>>,
}

fn web_fixture() -> &'static WebFixture {
    static FIXTURE: OnceLock<WebFixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let base = std::env::temp_dir().join("switchboard-fuzz-web");
        let root = base.join("root");
        let files: [(&str, &[u8]); 4] = [
            ("index.html", b"<!doctype html>index\n"),
            ("app.js", b"console.log('app');\n"),
            ("js/app.js", b"console.log('js');\n"),
            ("sub/index.html", b"<!doctype html>sub\n"),
        ];
        std::fs::create_dir_all(root.join("js")).expect("fixture dir");
        std::fs::create_dir_all(root.join("sub")).expect("fixture dir");
        for (name, content) in files {
            std::fs::write(root.join(name), content).expect("fixture file");
        }
        std::fs::write(base.join("secret.txt"), SECRET).expect("fixture secret");
        #[cfg(unix)]
        for (link, to) in [("escape", "../secret.txt"), ("up", "..")] {
            let link = root.join(link);
            if std::fs::symlink_metadata(&link).is_err() {
                std::os::unix::fs::symlink(to, &link).expect("fixture symlink");
            }
        }
        WebFixture {
            root,
            inside: files.iter().map(|(_, c)| c.to_vec()).collect(),
        }
    })
}
