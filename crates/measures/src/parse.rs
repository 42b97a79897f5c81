//! Reading item scores typed as a comma-separated list, as in the CLI and quick-entry boxes.

use crate::error::MeasureError;

/// Parses `"1,0,2,3"` (spaces around the numbers allowed) into item scores.
///
/// Only checks that each piece is a whole number; whether it is in range for a measure is for
/// [`crate::score`] to say, with the measure's own wording. A blank piece (`"1,,2"` or a trailing
/// comma) is refused rather than skipped, because skipping would shift every later item along.
pub fn parse_items(s: &str) -> Result<Vec<u8>, MeasureError> {
    if s.trim().is_empty() {
        return Err(MeasureError::NoItems);
    }
    s.split(',')
        .enumerate()
        .map(|(i, piece)| {
            let item = i + 1;
            let piece = piece.trim();
            if piece.is_empty() {
                return Err(MeasureError::BlankItem { item });
            }
            // Only plain digits: u8's parser would also accept "+1".
            if !piece.bytes().all(|b| b.is_ascii_digit()) {
                return Err(MeasureError::NotANumber {
                    item,
                    piece: piece.to_string(),
                });
            }
            piece.parse::<u8>().map_err(|_| MeasureError::NotANumber {
                item,
                piece: piece.to_string(),
            })
        })
        .collect()
}
