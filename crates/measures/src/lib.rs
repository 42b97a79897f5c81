//! Outcome measures: scoring, bands and risk flags.
