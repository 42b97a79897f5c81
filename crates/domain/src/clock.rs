//! The hybrid logical clock.
//!
//! Ordering never trusts a laptop's wall clock alone: a laptop's clock can be a day wrong or jump
//! backwards. A hybrid logical clock (Kulkarni et al.) keeps timestamps close to wall time while
//! guaranteeing that every timestamp a replica issues is greater than every timestamp it has issued
//! or observed before, so "written after reading" always sorts after what was read.

use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;
use ts_rs::TS;

/// A hybrid logical clock timestamp: milliseconds since the Unix epoch plus a counter that breaks
/// ties within one millisecond. Ordered by `(wall_ms, counter)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Hlc {
    #[ts(type = "number")]
    pub wall_ms: u64,
    pub counter: u32,
}

impl Hlc {
    pub const ZERO: Hlc = Hlc { wall_ms: 0, counter: 0 };

    pub fn new(wall_ms: u64, counter: u32) -> Self {
        Hlc { wall_ms, counter }
    }

    /// The smallest timestamp strictly greater than `self`.
    fn successor(self) -> Hlc {
        match self.counter.checked_add(1) {
            Some(counter) => Hlc { wall_ms: self.wall_ms, counter },
            // A counter overflow within one millisecond is absurd in practice; moving to the next
            // millisecond keeps the order strict without ever wrapping round.
            None => Hlc { wall_ms: self.wall_ms + 1, counter: 0 },
        }
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:010}", self.wall_ms, self.counter)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ClockError {
    #[error(
        "a timestamp from another device is {ahead_ms} ms ahead of this clock, more than the {max_drift_ms} ms allowed; check that device's date and time"
    )]
    TooFarAhead { ahead_ms: u64, max_drift_ms: u64 },
}

/// A replica's clock. The caller passes the wall time in (the domain never reads a clock) and
/// persists `last()` so the clock stays monotonic across restarts.
#[derive(Debug, Clone)]
pub struct HybridClock {
    last: Hlc,
    max_drift_ms: u64,
}

/// By default a remote timestamp may be at most four days ahead of our wall clock. Laptops are
/// often an hour, a time zone or a day or two wrong, and their notes must still be taken in; further
/// ahead is a broken clock that would drag every replica's timestamps forward with it.
pub const DEFAULT_MAX_DRIFT_MS: u64 = 4 * 24 * 60 * 60 * 1000;

impl HybridClock {
    pub fn new(last: Hlc, max_drift_ms: u64) -> Self {
        HybridClock { last, max_drift_ms }
    }

    pub fn last(&self) -> Hlc {
        self.last
    }

    pub fn max_drift_ms(&self) -> u64 {
        self.max_drift_ms
    }

    /// A timestamp for a new local event, given the current wall time.
    pub fn tick(&mut self, wall_ms: u64) -> Hlc {
        let next = if wall_ms > self.last.wall_ms {
            Hlc::new(wall_ms, 0)
        } else {
            self.last.successor()
        };
        self.last = next;
        next
    }

    /// Takes in a timestamp seen on another replica, so that later local events sort after it.
    /// Refuses one implausibly far ahead of our wall clock, leaving the clock untouched.
    pub fn observe(&mut self, remote: Hlc, wall_ms: u64) -> Result<Hlc, ClockError> {
        self.check_plausible(remote, wall_ms)?;
        let max = self.last.max(remote);
        let next = if wall_ms > max.wall_ms {
            Hlc::new(wall_ms, 0)
        } else {
            max.successor()
        };
        self.last = next;
        Ok(next)
    }

    /// Whether `remote` is within the allowed drift of `wall_ms`, without changing the clock.
    pub fn check_plausible(&self, remote: Hlc, wall_ms: u64) -> Result<(), ClockError> {
        let ahead_ms = remote.wall_ms.saturating_sub(wall_ms);
        if ahead_ms > self.max_drift_ms {
            return Err(ClockError::TooFarAhead { ahead_ms, max_drift_ms: self.max_drift_ms });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn follows_wall_time_when_it_moves_forward() {
        let mut c = HybridClock::new(Hlc::ZERO, DEFAULT_MAX_DRIFT_MS);
        assert_eq!(c.tick(1_000), Hlc::new(1_000, 0));
        assert_eq!(c.tick(2_000), Hlc::new(2_000, 0));
    }

    #[test]
    fn stays_ahead_when_wall_time_goes_backwards() {
        let mut c = HybridClock::new(Hlc::ZERO, DEFAULT_MAX_DRIFT_MS);
        c.tick(5_000);
        assert_eq!(c.tick(1_000), Hlc::new(5_000, 1));
        assert_eq!(c.tick(5_000), Hlc::new(5_000, 2));
    }

    #[test]
    fn observing_a_later_remote_moves_past_it() {
        let mut c = HybridClock::new(Hlc::ZERO, DEFAULT_MAX_DRIFT_MS);
        c.tick(1_000);
        let seen = c.observe(Hlc::new(60_000, 7), 2_000).unwrap();
        assert_eq!(seen, Hlc::new(60_000, 8));
        assert!(c.tick(3_000) > Hlc::new(60_000, 7));
    }

    #[test]
    fn refuses_a_remote_too_far_ahead_and_is_unchanged() {
        let mut c = HybridClock::new(Hlc::ZERO, 1_000);
        c.tick(10_000);
        let err = c.observe(Hlc::new(20_000, 0), 10_000).unwrap_err();
        assert_eq!(err, ClockError::TooFarAhead { ahead_ms: 10_000, max_drift_ms: 1_000 });
        assert_eq!(c.last(), Hlc::new(10_000, 0));
        assert!(err.to_string().contains("check that device's date and time"));
    }

    #[test]
    fn counter_overflow_moves_to_next_millisecond() {
        let mut c = HybridClock::new(Hlc::new(10, u32::MAX), DEFAULT_MAX_DRIFT_MS);
        assert_eq!(c.tick(5), Hlc::new(11, 0));
    }

    #[derive(Debug, Clone)]
    enum Step {
        Local(u64),
        Remote(u64, u32, u64),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (0u64..10_000_000).prop_map(Step::Local),
            (0u64..10_000_000, 0u32..5, 0u64..10_000_000).prop_map(|(w, c, now)| Step::Remote(w, c, now)),
        ]
    }

    proptest! {
        /// Whatever the wall clock does (jumps back, stands still, leaps ahead) and whatever remote
        /// timestamps arrive, every timestamp issued is strictly greater than the one before it and
        /// than every remote timestamp accepted.
        #[test]
        fn monotonic_under_arbitrary_wall_clocks(steps in proptest::collection::vec(step(), 1..200)) {
            let mut c = HybridClock::new(Hlc::ZERO, 2_000_000);
            let mut prev = Hlc::ZERO;
            for s in steps {
                match s {
                    Step::Local(wall) => {
                        let t = c.tick(wall);
                        prop_assert!(t > prev);
                        prop_assert!(t.wall_ms >= wall);
                        prev = t;
                    }
                    Step::Remote(w, n, wall) => {
                        let remote = Hlc::new(w, n);
                        match c.observe(remote, wall) {
                            Ok(t) => {
                                prop_assert!(t > prev);
                                prop_assert!(t > remote);
                                prev = t;
                            }
                            Err(ClockError::TooFarAhead { .. }) => {
                                prop_assert!(w > wall + 2_000_000);
                                prop_assert_eq!(c.last(), prev);
                            }
                        }
                    }
                }
            }
        }
    }
}
