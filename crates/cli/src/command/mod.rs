//! Commands that live in a file of their own (one command per file, as the rest move here).

pub mod inbox;
pub mod supervision;
pub mod team;
pub mod triage;
