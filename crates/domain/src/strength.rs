//! Passphrase and password strength: the feedback shown while a clinician chooses their laptop
//! passphrase, and the rule the central store applies to account passwords (one rule, two callers).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The shortest passphrase accepted. NCSC advice is three random words; ten characters is the
/// least that such a phrase can be.
pub const MIN_PASSPHRASE_CHARS: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PassphraseStrength {
    /// 0 (very weak) to 4 (strong), from zxcvbn's estimate of guesses needed.
    pub score: u8,
    /// Strong enough to protect patient records on a laptop that may be lost.
    pub acceptable: bool,
    /// One plain sentence: what is wrong, or that it is fine.
    pub advice: String,
}

pub fn passphrase_strength(passphrase: &str, username: &str) -> PassphraseStrength {
    let chars = passphrase.chars().count();
    if chars == 0 {
        return PassphraseStrength {
            score: 0,
            acceptable: false,
            advice: "Choose a passphrase: three or four random words you can remember work well.".into(),
        };
    }
    let estimate = zxcvbn::zxcvbn(passphrase, &[username, "casebook", "babs"]);
    let score = u8::from(estimate.score());
    let warning = estimate.feedback().and_then(|f| f.warning()).map(|w| w.to_string());
    let (acceptable, advice) = if chars < MIN_PASSPHRASE_CHARS {
        (false, format!("Use at least {MIN_PASSPHRASE_CHARS} characters; three or four random words work well."))
    } else if score < 3 {
        let why = warning.unwrap_or_else(|| "This would be easy to guess.".into());
        (false, format!("{why} Add another word or two that are not connected."))
    } else if score == 3 {
        (true, "Good. A fourth unrelated word would make it stronger still.".into())
    } else {
        (true, "Strong passphrase.".into())
    };
    PassphraseStrength { score, acceptable, advice }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_short_and_common_passphrases() {
        assert!(!passphrase_strength("", "a.user").acceptable);
        assert!(!passphrase_strength("password1", "a.user").acceptable);
        assert!(!passphrase_strength("passwordpassword", "a.user").acceptable);
        let s = passphrase_strength("short", "a.user");
        assert!(s.advice.contains("at least 10 characters"), "{}", s.advice);
    }

    #[test]
    fn accepts_random_words() {
        let s = passphrase_strength("copper kettle meadow lantern", "a.user");
        assert!(s.acceptable, "{s:?}");
        assert!(s.score >= 3);
    }
}
