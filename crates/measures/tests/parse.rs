//! Reading comma-separated item scores.

use casebook_measures::{Entry, parse_items, score, MeasureError, MeasureKind};

#[test]
fn plain_and_spaced_lists() {
    assert_eq!(parse_items("1,0,2,3").unwrap(), vec![1, 0, 2, 3]);
    assert_eq!(parse_items(" 1, 0 ,2 ,  3 ").unwrap(), vec![1, 0, 2, 3]);
    assert_eq!(parse_items("7").unwrap(), vec![7]);
}

#[test]
fn parsed_items_feed_score() {
    let items = parse_items("1, 1, 1, 1, 1, 1, 1, 1, 1").unwrap();
    assert_eq!(score(MeasureKind::Phq9, Entry::before_it_was_recorded(MeasureKind::Phq9), &items).unwrap().total, 9);
}

#[test]
fn range_is_left_to_score() {
    // 5 is a number; whether it is a valid EPDS answer is score's business.
    assert_eq!(parse_items("5").unwrap(), vec![5]);
}

#[test]
fn empty_input() {
    assert_eq!(parse_items("").unwrap_err(), MeasureError::NoItems);
    assert_eq!(parse_items("   ").unwrap_err(), MeasureError::NoItems);
    assert_eq!(
        parse_items("").unwrap_err().to_string(),
        "No item scores were entered; enter them separated by commas, like 1,0,2,3."
    );
}

#[test]
fn blank_pieces_name_the_item() {
    assert_eq!(
        parse_items("1,,2").unwrap_err(),
        MeasureError::BlankItem { item: 2 }
    );
    assert_eq!(
        parse_items("1,2,").unwrap_err(),
        MeasureError::BlankItem { item: 3 }
    );
    assert_eq!(
        parse_items(",1").unwrap_err(),
        MeasureError::BlankItem { item: 1 }
    );
    assert_eq!(
        parse_items("1, ,2").unwrap_err().to_string(),
        "Item 2 is blank; enter a score for every item, separated by commas, like 1,0,2,3."
    );
}

#[test]
fn non_numbers_name_the_piece() {
    let e = parse_items("1,0,x,3").unwrap_err();
    assert_eq!(
        e,
        MeasureError::NotANumber {
            item: 3,
            piece: "x".into()
        }
    );
    assert_eq!(
        e.to_string(),
        "Item 3 is \"x\", which is not a score; enter whole numbers separated by commas, like 1,0,2,3."
    );
    for (input, item, piece) in [
        ("-1", 1, "-1"),
        ("+1", 1, "+1"),
        ("1.5,2", 1, "1.5"),
        ("1,2 3", 2, "2 3"),
        ("1;2", 1, "1;2"),
        ("0,256", 2, "256"),
        ("0,99999999999999999999", 2, "99999999999999999999"),
    ] {
        assert_eq!(
            parse_items(input).unwrap_err(),
            MeasureError::NotANumber {
                item,
                piece: piece.into()
            },
            "input {input:?}"
        );
    }
}
