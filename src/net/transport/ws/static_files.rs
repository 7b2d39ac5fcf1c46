//! Serving the browser editor's files from `web_root` on the host's own port,
//! for plain (non-upgrade) GET and HEAD requests.
//!
//! Only files under the root are reachable: the path is percent-decoded,
//! any `..`, backslash or NUL is refused, and the resolved file must still
//! lie under the canonical root (which also stops symlinks leading out).

use std::path::{Path, PathBuf};

use super::http::{RequestHead, Response};

/// Largest file served; the editor's files are far smaller. Files are read
/// whole on the network thread, so this also bounds the memory and the
/// time one request can take.
const MAX_FILE_SIZE: u64 = 4 << 20;

/// Answers a non-upgrade request from `root`.
pub(crate) fn serve(root: &Path, head: &RequestHead) -> Response {
    if head.method != "GET" && head.method != "HEAD" {
        return Response::text(405, "Method Not Allowed", "only GET and HEAD are served\n")
            .header("Allow", "GET, HEAD");
    }
    let Some(relative) = safe_relative_path(&head.path) else {
        return Response::text(400, "Bad Request", "path not allowed\n");
    };
    let Ok(root) = root.canonicalize() else {
        return Response::text(404, "Not Found", "web root is missing\n");
    };
    let mut path = root.join(&relative);
    if path.is_dir() {
        path.push("index.html");
    }
    let Ok(path) = path.canonicalize() else {
        return Response::text(404, "Not Found", "no such file\n");
    };
    if !path.starts_with(&root) {
        return Response::text(404, "Not Found", "no such file\n");
    }
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_file() && meta.len() <= MAX_FILE_SIZE => {}
        Ok(meta) if meta.is_file() => {
            return Response::text(413, "Content Too Large", "file too large to serve\n");
        }
        _ => return Response::text(404, "Not Found", "no such file\n"),
    }
    match std::fs::read(&path) {
        Ok(body) => Response {
            status: 200,
            reason: "OK",
            headers: vec![
                ("Content-Type", content_type(&path).to_owned()),
                ("Cache-Control", "no-cache".to_owned()),
                ("X-Content-Type-Options", "nosniff".to_owned()),
            ],
            body,
        },
        Err(e) => {
            tracing::warn!("cannot read {}: {e}", path.display());
            Response::text(500, "Internal Server Error", "cannot read file\n")
        }
    }
}

/// Turns a request target into a relative path with no way out of the root.
fn safe_relative_path(target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next().unwrap_or("");
    if !path.starts_with('/') {
        return None;
    }
    let decoded = percent_decode(path)?;
    let mut relative = PathBuf::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => continue,
            ".." => return None,
            s if s.contains('\\') || s.contains('\0') || s.contains(':') => return None,
            s => relative.push(s),
        }
    }
    Some(relative)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            // from_str_radix alone would take "+5" as a number.
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "wasm" => "application/wasm",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_is_refused() {
        for bad in [
            "/../etc/passwd",
            "/a/../../x",
            "/%2e%2e/secret",
            "/a%2f..%2f..%2fx",
            "/x%00",
            "/a\\..\\b",
            "/c:/windows",
            "relative",
            "/%zz",
            "/%+5",
        ] {
            assert_eq!(safe_relative_path(bad), None, "{bad} accepted");
        }
        assert_eq!(
            safe_relative_path("/js/app.js?v=1"),
            Some(PathBuf::from("js/app.js"))
        );
        assert_eq!(safe_relative_path("/"), Some(PathBuf::new()));
    }
}
