//! Channel name patterns for subscriptions, such as `telemetry/*`.

/// Longest pattern accepted, in bytes; bounds the matching work per channel.
pub const MAX_PATTERN_LEN: usize = 256;

/// Why a pattern was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// The pattern is empty.
    #[error("empty pattern")]
    Empty,
    /// The pattern is longer than 256 bytes.
    #[error("pattern of {0} bytes is longer than {MAX_PATTERN_LEN}")]
    TooLong(usize),
    /// Three or more stars in a row mean nothing.
    #[error("pattern {0:?} has three or more '*' in a row")]
    TooManyStars(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Byte(u8),
    /// `*`: any run of bytes except '/'.
    Star,
    /// `**`: any run of bytes, '/' included.
    DoubleStar,
}

/// A compiled channel name pattern.
///
/// `*` matches any run of characters except `/`; `**` matches any run,
/// `/` included; everything else matches itself.
///
/// ```
/// use switchboard::protocol::ChannelPattern;
/// let p = ChannelPattern::parse("telemetry/*").unwrap();
/// assert!(p.matches("telemetry/frame_time"));
/// assert!(!p.matches("telemetry/gpu/load"));
/// assert!(ChannelPattern::parse("telemetry/**").unwrap().matches("telemetry/gpu/load"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelPattern {
    source: String,
    tokens: Vec<Token>,
}

impl ChannelPattern {
    /// Compiles `pattern`.
    pub fn parse(pattern: &str) -> Result<Self, PatternError> {
        if pattern.is_empty() {
            return Err(PatternError::Empty);
        }
        if pattern.len() > MAX_PATTERN_LEN {
            return Err(PatternError::TooLong(pattern.len()));
        }
        if pattern.contains("***") {
            return Err(PatternError::TooManyStars(pattern.to_owned()));
        }
        let bytes = pattern.as_bytes();
        let mut tokens = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'*' {
                if bytes.get(i + 1) == Some(&b'*') {
                    tokens.push(Token::DoubleStar);
                    i += 2;
                } else {
                    tokens.push(Token::Star);
                    i += 1;
                }
            } else {
                tokens.push(Token::Byte(bytes[i]));
                i += 1;
            }
        }
        Ok(Self {
            source: pattern.to_owned(),
            tokens,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// True when the pattern has no wildcard (it names one channel).
    pub fn is_literal(&self) -> bool {
        self.tokens.iter().all(|t| matches!(t, Token::Byte(_)))
    }

    /// Does `name` match? Runs in O(pattern × name) time, no recursion.
    pub fn matches(&self, name: &str) -> bool {
        let name = name.as_bytes();
        // reachable[j]: the tokens seen so far can consume exactly name[..j].
        let mut reachable = vec![false; name.len() + 1];
        reachable[0] = true;
        for token in &self.tokens {
            let mut next = vec![false; name.len() + 1];
            match token {
                Token::Byte(b) => {
                    for j in 0..name.len() {
                        next[j + 1] = reachable[j] && name[j] == *b;
                    }
                }
                Token::Star | Token::DoubleStar => {
                    let crosses_slash = matches!(token, Token::DoubleStar);
                    let mut open = false;
                    for j in 0..=name.len() {
                        if reachable[j] {
                            open = true;
                        }
                        next[j] = open;
                        if j < name.len() && name[j] == b'/' && !crosses_slash {
                            open = false;
                        }
                    }
                }
            }
            reachable = next;
            if !reachable.iter().any(|r| *r) {
                return false;
            }
        }
        reachable[name.len()]
    }
}

impl std::fmt::Display for ChannelPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, n: &str) -> bool {
        ChannelPattern::parse(p).unwrap().matches(n)
    }

    #[test]
    fn literal_star_and_double_star() {
        assert!(m("a/b", "a/b"));
        assert!(!m("a/b", "a/bc"));
        assert!(m("a/*", "a/"));
        assert!(m("a/*", "a/xyz"));
        assert!(!m("a/*", "a/x/y"));
        assert!(m("a/**", "a/x/y"));
        assert!(m("*/fps", "telemetry/fps"));
        assert!(m("tele*/f*s", "telemetry/fps"));
        assert!(!m("tele*/f*s", "telemetry/fpx"));
        assert!(m("**", "anything/at/all"));
        assert!(m("a/**/z", "a/b/c/z"));
        assert!(!m("a/**/z", "a/b/c/y"));
    }

    #[test]
    fn refuses_bad_patterns() {
        assert_eq!(ChannelPattern::parse(""), Err(PatternError::Empty));
        assert!(ChannelPattern::parse("a/***").is_err());
        assert!(ChannelPattern::parse(&"x".repeat(300)).is_err());
    }
}
