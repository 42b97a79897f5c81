//! Prometheus counters, rendered in the text exposition format at `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn inc(&self) {
        self.add(1)
    }
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

#[derive(Default)]
pub struct Metrics {
    pub push_requests: Counter,
    pub pull_requests: Counter,
    pub events_stored: Counter,
    pub events_pulled: Counter,
    pub login_failures: Counter,
    pub refusals: Counter,
}

impl Metrics {
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (name, help, c) in [
            ("casebook_push_requests_total", "Push requests received.", &self.push_requests),
            ("casebook_pull_requests_total", "Pull requests received.", &self.pull_requests),
            ("casebook_events_stored_total", "Events stored for the first time.", &self.events_stored),
            ("casebook_events_pulled_total", "Events sent to laptops.", &self.events_pulled),
            ("casebook_login_failures_total", "Refused sign-in attempts.", &self.login_failures),
            ("casebook_push_refusals_total", "Pushed events refused.", &self.refusals),
        ] {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} counter\n{name} {}\n", c.get()));
        }
        out
    }
}
