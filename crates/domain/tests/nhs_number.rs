//! NHS numbers: the documented test examples, synthetic numbers from the 999 range, and every way
//! a number can be wrong. No number here belongs to a patient.

use casebook_domain::nhs_number::{check_digit, REPEATED_DIGIT_WARNING, TEST_RANGE_WARNING};
use casebook_domain::{CheckedNhsNumber, NhsNumber, NhsNumberError};
use proptest::prelude::*;

#[test]
fn documented_test_numbers_are_valid() {
    // 943 476 5919: the classic example in NHS documentation. 900 000 0009: the NHS Personal
    // Demographics Service sandbox's test patient. 401 023 2137: used in NHS login examples.
    for (text, shown) in [("9434765919", "943 476 5919"), ("9000000009", "900 000 0009"), ("4010232137", "401 023 2137")] {
        let n: NhsNumber = text.parse().unwrap();
        assert_eq!(n.to_string(), shown);
        assert_eq!(n.as_str(), text);
    }
}

#[test]
fn synthetic_999_numbers_computed_by_hand_are_valid() {
    // 999 000 00k: 9×10 + 9×9 + 9×8 = 243, plus k×2.
    //   k=1: 245 mod 11 = 3 → 8.  k=2: 247 mod 11 = 5 → 6.  k=3: 249 mod 11 = 7 → 4.
    //   k=5: 253 mod 11 = 0 → 11, written 0.
    for text in ["999 000 0018", "999 000 0026", "999 000 0034", "999 000 0050"] {
        assert!(NhsNumber::parse(text).is_ok(), "{text} should be valid");
    }
}

#[test]
fn a_wrong_last_digit_is_refused_with_a_message_to_act_on() {
    let err = NhsNumber::parse("943 476 5918").unwrap_err();
    assert_eq!(err, NhsNumberError::CheckDigitMismatch);
    assert_eq!(
        err.to_string(),
        "this is not a valid NHS number: the last digit does not match; check it was typed correctly"
    );
    // Two neighbouring digits swapped: the check digit catches it.
    assert_eq!(NhsNumber::parse("493 476 5919"), Err(NhsNumberError::CheckDigitMismatch));
}

#[test]
fn nine_digits_whose_check_digit_would_be_ten_are_never_valid() {
    // 999 000 000: 243 mod 11 = 1, 11 − 1 = 10. No last digit makes these valid.
    for last in 0..=9 {
        assert_eq!(NhsNumber::parse(&format!("999000000{last}")), Err(NhsNumberError::CheckDigitTen));
    }
    assert!(NhsNumberError::CheckDigitTen.to_string().starts_with("this is not a valid NHS number"));
}

#[test]
fn wrong_length_and_letters_are_refused() {
    assert_eq!(NhsNumber::parse("943 476 591"), Err(NhsNumberError::WrongLength { got: 9 }));
    assert_eq!(NhsNumber::parse("943 476 59190"), Err(NhsNumberError::WrongLength { got: 11 }));
    assert_eq!(NhsNumber::parse(""), Err(NhsNumberError::WrongLength { got: 0 }));
    assert_eq!(NhsNumber::parse("   "), Err(NhsNumberError::WrongLength { got: 0 }));
    assert_eq!(NhsNumber::parse("943 476 591A"), Err(NhsNumberError::NotDigits));
    assert_eq!(NhsNumber::parse("943.476.5919"), Err(NhsNumberError::NotDigits));
    assert_eq!(NhsNumber::parse("９４３４７６５９１９"), Err(NhsNumberError::NotDigits), "full-width digits are not ASCII digits");
    assert_eq!(
        NhsNumberError::WrongLength { got: 9 }.to_string(),
        "an NHS number has 10 digits, but this has 9; check it was typed in full"
    );
}

#[test]
fn json_is_the_plain_ten_digits_and_is_checked_on_the_way_in() {
    let n = NhsNumber::parse("943 476 5919").unwrap();
    assert_eq!(serde_json::to_string(&n).unwrap(), "\"9434765919\"");
    assert_eq!(serde_json::from_str::<NhsNumber>("\"9434765919\"").unwrap(), n);
    let err = serde_json::from_str::<NhsNumber>("\"9434765918\"").unwrap_err();
    assert!(err.to_string().contains("the last digit does not match"), "{err}");
    assert!(serde_json::from_str::<NhsNumber>("9434765919").is_err(), "a JSON number is not accepted");
}

#[test]
fn every_number_of_one_repeated_digit_passes_the_check_but_is_flagged() {
    // The weights 10 to 2 add up to 54, and 54 × d ≡ −d (mod 11), so the check digit of nine d's is
    // d itself: all ten such numbers are valid, which is why the check alone cannot catch them.
    for digit in 0..=9u8 {
        let text: String = std::iter::repeat_n(char::from(b'0' + digit), 10).collect();
        let n = NhsNumber::parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(n.warning(), Some(REPEATED_DIGIT_WARNING), "{text}");
        assert_eq!(n.checked().warning.as_deref(), Some(REPEATED_DIGIT_WARNING));
    }
    assert!(REPEATED_DIGIT_WARNING.contains("not a real patient"));
}

#[test]
fn numbers_in_the_999_test_range_are_flagged() {
    for text in ["999 000 0018", "999 000 0026", "999 000 0050", "999 123 4578", "999 876 5439"] {
        let n = NhsNumber::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(n.warning(), Some(TEST_RANGE_WARNING), "{text}");
    }
    assert!(TEST_RANGE_WARNING.starts_with("test number, not a real patient"));
    // 9999999999 is both; it is called a placeholder.
    assert_eq!(NhsNumber::parse("9999999999").unwrap().warning(), Some(REPEATED_DIGIT_WARNING));
}

#[test]
fn an_ordinary_valid_number_has_no_warning() {
    // 998 999 9996 is just below the test range; 111 111 1112 would be a repeat but for one digit
    // (and fails the check, so is not a number at all).
    for text in ["943 476 5919", "900 000 0009", "401 023 2137", "998 999 9996"] {
        assert_eq!(NhsNumber::parse(text).unwrap().warning(), None, "{text}");
    }
    assert!(NhsNumber::parse("111 111 1112").is_err());
    let n = NhsNumber::parse("943 476 5919").unwrap();
    assert_eq!(n.checked(), CheckedNhsNumber { shown: "943 476 5919".into(), warning: None });
}

fn nine_digits() -> impl Strategy<Value = [u8; 9]> {
    proptest::array::uniform9(0u8..=9)
}

proptest! {
    #[test]
    fn any_nine_digits_with_their_check_digit_parse_and_round_trip(first in nine_digits()) {
        let prefix: String = first.iter().map(|d| char::from(b'0' + d)).collect();
        match check_digit(first) {
            Some(c) => {
                let text = format!("{prefix}{c}");
                let n = NhsNumber::parse(&text).unwrap();
                prop_assert_eq!(n.as_str(), text.as_str());
                prop_assert_eq!(NhsNumber::parse(&n.to_string()).unwrap(), n.clone());
                let json = serde_json::to_string(&n).unwrap();
                prop_assert_eq!(serde_json::from_str::<NhsNumber>(&json).unwrap(), n);
                // Any other last digit is refused.
                for other in (0..=9u8).filter(|&o| o != c) {
                    prop_assert_eq!(NhsNumber::parse(&format!("{prefix}{other}")), Err(NhsNumberError::CheckDigitMismatch));
                }
            }
            None => prop_assert_eq!(NhsNumber::parse(&format!("{prefix}0")), Err(NhsNumberError::CheckDigitTen)),
        }
    }

    #[test]
    fn every_single_digit_typo_is_caught(first in nine_digits(), pos in 0usize..10, delta in 1u8..=9) {
        if let Some(c) = check_digit(first) {
            let mut digits: Vec<u8> = first.to_vec();
            digits.push(c);
            digits[pos] = (digits[pos] + delta) % 10;
            let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
            prop_assert!(NhsNumber::parse(&text).is_err());
        }
    }
}
