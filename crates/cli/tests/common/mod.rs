//! The `casebook` binary as the CLI tests run it: a real encrypted store in a temporary
//! directory, the passphrase from the environment, and helpers that insist on one plain sentence
//! for every failure.
#![allow(dead_code)]

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

pub const PASSPHRASE: &str = "copper kettle meadow lantern";

pub struct Run {
    pub out: Output,
}

impl Run {
    pub fn ok(self) -> Self {
        assert!(
            self.out.status.success(),
            "expected success, got {:?}\nstdout: {}\nstderr: {}",
            self.out.status,
            self.stdout(),
            self.stderr()
        );
        self
    }
    pub fn fails(self) -> String {
        assert!(!self.out.status.success(), "expected failure, got success: {}", self.stdout());
        let err = self.stderr();
        assert_eq!(err.trim().lines().count(), 1, "one plain sentence, got: {err}");
        assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "{err}");
        err.trim().to_string()
    }
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout()).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout()))
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
}

pub fn casebook(dir: &Path, args: &[&str]) -> Run {
    casebook_env(dir, args, &[("CASEBOOK_PASSPHRASE", PASSPHRASE)])
}

pub fn casebook_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_casebook"));
    cmd.arg("--data").arg(dir).args(args).env_remove("CASEBOOK_PASSPHRASE").env_remove("CASEBOOK_NEW_PASSPHRASE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    Run { out: cmd.stdin(std::process::Stdio::null()).output().unwrap() }
}

pub fn init(dir: &Path) {
    let created = casebook(dir, &["init", "--user", "test.clinician", "--json"]).ok().json();
    assert_eq!(created["username"], "test.clinician");
}

/// A due date `days` from today (YYYY-MM-DD): opening a case takes due dates up to 40 weeks ahead
/// and 4 weeks gone, so a fixed date in a test would start failing once it had passed.
pub fn due_in(days: u64) -> String {
    (chrono::Local::now().date_naive() + chrono::Days::new(days)).to_string()
}
