//! NHS numbers: parsed once at the edge, so a mistyped number never reaches a record.
//!
//! An NHS number is ten digits; the tenth is a Modulus 11 check digit over the first nine. The
//! check catches every single mistyped digit and every swap of two neighbouring digits, which are
//! the mistakes people make copying a number off a referral letter. A number is shown 3-3-4
//! ("943 476 5919"), as on NHS letters and cards, and stored as the plain ten digits.
//!
//! Some numbers pass the check but never belong to a patient: the 999 range is kept for testing,
//! and a digit repeated ten times (every one of which happens to pass) is what people type when
//! the real number is not to hand. These are accepted, because refusing them would stop a
//! clinician recording a family, but they carry a warning wherever the number is shown, so a
//! record is never matched or sent on under a number that is not the patient's.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;
use ts_rs::TS;

/// A valid NHS number: ten digits whose last digit is the Modulus 11 check digit.
///
/// The only way to make one is to parse it, so holding an `NhsNumber` means it has passed the
/// check. In JSON it is the plain ten-digit string (`"9434765919"`); reading JSON validates it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, TS)]
#[ts(export, type = "string")]
pub struct NhsNumber(String);

/// Shown next to a number in the 999 range.
pub const TEST_RANGE_WARNING: &str =
    "test number, not a real patient: NHS numbers starting 999 are kept for testing; check the number on the referral";
/// Shown next to a number made of one digit repeated.
pub const REPEATED_DIGIT_WARNING: &str =
    "placeholder number, not a real patient: the same digit ten times is never issued; check the number on the referral";

/// A number as the person typing it sees it once it has passed the check: shown 3-3-4, with the
/// warning to show beside it, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CheckedNhsNumber {
    /// "943 476 5919".
    pub shown: String,
    /// See [`NhsNumber::warning`].
    pub warning: Option<String>,
}

/// Why some text is not an NHS number. Each message is a sentence the person typing can act on.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NhsNumberError {
    #[error("an NHS number has 10 digits, but this has {got}; check it was typed in full")]
    WrongLength { got: usize },
    #[error("an NHS number is made of digits only (spaces and dashes between them are fine); remove any letters or other characters")]
    NotDigits,
    #[error("this is not a valid NHS number: the last digit does not match; check it was typed correctly")]
    CheckDigitMismatch,
    #[error("this is not a valid NHS number: no NHS number starts with these nine digits; check it was typed correctly")]
    CheckDigitTen,
}

/// The check digit for the first nine digits of an NHS number, or `None` when the Modulus 11
/// remainder gives 10, which the NHS never issues (so any number starting with those nine digits
/// is invalid).
///
/// Weights 10, 9, … 2 are applied to the nine digits in turn; the check digit is 11 minus the
/// remainder of the sum divided by 11, with 11 written as 0.
pub fn check_digit(first_nine: [u8; 9]) -> Option<u8> {
    let sum: u32 = first_nine.iter().zip((2..=10u32).rev()).map(|(&d, w)| u32::from(d) * w).sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        n => Some(n as u8),
    }
}

impl NhsNumber {
    /// Reads an NHS number as people write it: "943 476 5919", "943-476-5919" or "9434765919".
    /// Whitespace and dashes anywhere are ignored; anything else that is not a digit is refused.
    pub fn parse(text: &str) -> Result<NhsNumber, NhsNumberError> {
        let mut digits = String::with_capacity(10);
        for c in text.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else if !(c.is_whitespace() || c == '-') {
                return Err(NhsNumberError::NotDigits);
            }
        }
        if digits.len() != 10 {
            return Err(NhsNumberError::WrongLength { got: digits.len() });
        }
        let values: Vec<u8> = digits.bytes().map(|b| b - b'0').collect();
        let mut first_nine = [0u8; 9];
        first_nine.copy_from_slice(&values[..9]);
        match check_digit(first_nine) {
            None => Err(NhsNumberError::CheckDigitTen),
            Some(expected) if expected != values[9] => Err(NhsNumberError::CheckDigitMismatch),
            Some(_) => Ok(NhsNumber(digits)),
        }
    }

    /// The plain ten digits, as stored and as sent to other NHS systems.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Why this valid number is still not a real patient's, to show beside it wherever it appears:
    /// it is in the 999 test range, or it is one digit repeated. `None` for an ordinary number.
    pub fn warning(&self) -> Option<&'static str> {
        let first = self.0.as_bytes()[0];
        if self.0.bytes().all(|b| b == first) {
            Some(REPEATED_DIGIT_WARNING)
        } else if self.0.starts_with("999") {
            Some(TEST_RANGE_WARNING)
        } else {
            None
        }
    }

    /// What the person typing sees: the number 3-3-4 and its warning, if any.
    pub fn checked(&self) -> CheckedNhsNumber {
        CheckedNhsNumber { shown: self.to_string(), warning: self.warning().map(String::from) }
    }
}

impl FromStr for NhsNumber {
    type Err = NhsNumberError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NhsNumber::parse(s)
    }
}

impl fmt::Display for NhsNumber {
    /// 3-3-4 with spaces, as printed on NHS letters: "943 476 5919".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", &self.0[..3], &self.0[3..6], &self.0[6..])
    }
}

impl Serialize for NhsNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for NhsNumber {
    /// Validated on the way in: a stored or synced number that fails the check is refused rather
    /// than carried along. (Spaces and dashes are tolerated, as when typed.)
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        NhsNumber::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_classic_example_is_valid_in_every_written_form() {
        for text in ["943 476 5919", "943-476-5919", "9434765919", " 943 476 5919 \n", "943 - 476 - 5919"] {
            let n = NhsNumber::parse(text).unwrap();
            assert_eq!(n.as_str(), "9434765919");
            assert_eq!(n.to_string(), "943 476 5919");
        }
    }

    #[test]
    fn check_digit_follows_the_modulus_11_rule() {
        // 9×10 + 4×9 + 3×8 + 4×7 + 7×6 + 6×5 + 5×4 + 9×3 + 1×2 = 299; 299 mod 11 = 2; 11 − 2 = 9.
        assert_eq!(check_digit([9, 4, 3, 4, 7, 6, 5, 9, 1]), Some(9));
        // 9 × (10 + 9 + 8) = 243; 243 mod 11 = 1; 11 − 1 = 10: never issued.
        assert_eq!(check_digit([9, 9, 9, 0, 0, 0, 0, 0, 0]), None);
        // 243 + 5×2 = 253 = 11 × 23; remainder 0 gives 11, written 0.
        assert_eq!(check_digit([9, 9, 9, 0, 0, 0, 0, 0, 5]), Some(0));
    }
}
