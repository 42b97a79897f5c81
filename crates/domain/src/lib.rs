//! Casebook's clinical domain, as pure code.
//!
//! - [`clock`]: the hybrid logical clock that orders events without trusting a laptop's wall clock.
//! - [`event`]: the immutable event envelope, the event kinds and their validation.
//! - [`fold`]: the deterministic fold from a case's events to its current state.

pub mod clock;
pub mod event;
pub mod fold;

pub use clock::{ClockError, Hlc, HybridClock, DEFAULT_MAX_DRIFT_MS};
pub use event::*;
pub use fold::*;
