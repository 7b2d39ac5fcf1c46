//! Delays between attempts: doubling up to a cap, with jitter.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use crate::net::config::DialBackoff;

/// The delay before the next attempt after `failures` failures in a row
/// (at least 1): `initial * 2^(failures-1)`, capped at `max`, minus a
/// random part of up to a quarter. Each delay is thus longer than the one
/// before until the cap.
pub(crate) fn delay(policy: &DialBackoff, failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(32);
    let base = policy
        .initial
        .checked_mul(1u32 << doublings.min(31))
        .map_or(policy.max, |d| d.min(policy.max));
    base.saturating_sub(base.mul_f64(random_fraction() / 4.0))
}

/// A number in [0, 1), from the standard library's per-process random keys.
fn random_fraction() -> f64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(0x5eed);
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_to_the_cap_with_bounded_jitter() {
        let policy = DialBackoff::default();
        let mut last = Duration::ZERO;
        for failures in 1..=12 {
            let d = delay(&policy, failures);
            let base = (policy.initial * 2u32.pow(failures - 1)).min(policy.max);
            assert!(
                d <= base && d >= base * 3 / 4,
                "{failures}: {d:?} for {base:?}"
            );
            if base < policy.max {
                assert!(d > last, "{failures}: {d:?} after {last:?}");
            }
            last = d;
        }
        assert!(delay(&policy, u32::MAX) <= policy.max);
        assert!(delay(&policy, u32::MAX) >= policy.max * 3 / 4);
    }
}
