//! The `pattern` target: channel patterns against a naive reference matcher.

use crate::protocol::ChannelPattern;
use crate::protocol::MAX_PATTERN_LEN;

/// A pattern and names to match: the input is split at NUL bytes; the
/// first part is the pattern, the others are channel names. Each match is
/// compared with a naive reference matcher, and each name goes through the
/// channel name check.
pub fn pattern(bytes: &[u8]) {
    if bytes.len() > 64 << 10 {
        return;
    }
    let mut parts = bytes.split(|b| *b == 0);
    let source = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let names: Vec<_> = parts.map(String::from_utf8_lossy).collect();
    for name in &names {
        if crate::validate_channel_name(name).is_ok() {
            assert!(!name.is_empty() && !name.contains('*'));
        }
    }
    let compiled = match ChannelPattern::parse(&source) {
        Ok(p) => p,
        Err(e) => {
            assert!(
                source.is_empty() || source.len() > MAX_PATTERN_LEN || source.contains("***"),
                "{source:?} refused: {e}"
            );
            return;
        }
    };
    assert!(!source.is_empty() && source.len() <= MAX_PATTERN_LEN);
    assert_eq!(compiled.as_str(), source);
    assert_eq!(compiled.to_string(), source);
    assert_eq!(compiled.is_literal(), !source.contains('*'));
    let tokens = reference_tokens(source.as_bytes());
    for name in &names {
        let got = compiled.matches(name);
        // The reference's memo table is tokens × name; keep it small.
        if (tokens.len() + 1) * (name.len() + 1) <= 1 << 20 {
            let expected = reference_match(&tokens, name.as_bytes());
            assert_eq!(got, expected, "{source:?} against {name:?}");
        }
        if compiled.is_literal() {
            assert_eq!(got, **name == *source);
        }
    }
}

#[derive(Clone, Copy)]
enum RefToken {
    Byte(u8),
    Star,
    DoubleStar,
}

fn reference_tokens(pattern: &[u8]) -> Vec<RefToken> {
    let mut tokens = Vec::new();
    let mut rest = pattern;
    while let Some((&b, tail)) = rest.split_first() {
        if b != b'*' {
            tokens.push(RefToken::Byte(b));
            rest = tail;
        } else if tail.first() == Some(&b'*') {
            tokens.push(RefToken::DoubleStar);
            rest = &tail[1..];
        } else {
            tokens.push(RefToken::Star);
            rest = tail;
        }
    }
    tokens
}

/// The definition, written as recursion with a memo table.
fn reference_match(tokens: &[RefToken], name: &[u8]) -> bool {
    fn go(
        tokens: &[RefToken],
        name: &[u8],
        t: usize,
        n: usize,
        memo: &mut Vec<Option<bool>>,
    ) -> bool {
        let slot = t * (name.len() + 1) + n;
        if let Some(known) = memo[slot] {
            return known;
        }
        let result = match tokens.get(t) {
            None => n == name.len(),
            Some(RefToken::Byte(b)) => {
                name.get(n) == Some(b) && go(tokens, name, t + 1, n + 1, memo)
            }
            Some(RefToken::Star) => {
                let end = name[n..]
                    .iter()
                    .position(|c| *c == b'/')
                    .map_or(name.len(), |i| n + i);
                (n..=end).any(|k| go(tokens, name, t + 1, k, memo))
            }
            Some(RefToken::DoubleStar) => {
                (n..=name.len()).any(|k| go(tokens, name, t + 1, k, memo))
            }
        };
        memo[slot] = Some(result);
        result
    }
    let mut memo = vec![None; (tokens.len() + 1) * (name.len() + 1)];
    go(tokens, name, 0, 0, &mut memo)
}
