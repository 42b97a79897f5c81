//! Turning Rust strings into bytes the standard fonts can draw, measuring them, and wrapping them
//! to a column.
//!
//! The PDF uses the non-embedded standard fonts with WinAnsiEncoding so that every viewer and
//! `pdftotext` can read the text without us shipping a font file. The price is a one-byte
//! character set: this module decides, once and in one place, what happens to everything else.

use crate::widths::{HELVETICA, HELVETICA_BOLD};

/// The two faces the layout uses. Both are PDF standard fonts, so nothing is embedded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Font {
    Regular,
    Bold,
}

impl Font {
    /// The resource name the content streams refer to.
    pub(crate) fn resource_name(self) -> &'static str {
        match self {
            Font::Regular => "F1",
            Font::Bold => "F2",
        }
    }

    pub(crate) fn base_font(self) -> &'static str {
        match self {
            Font::Regular => "Helvetica",
            Font::Bold => "Helvetica-Bold",
        }
    }

    fn widths(self) -> &'static [u16; 224] {
        match self {
            Font::Regular => &HELVETICA,
            Font::Bold => &HELVETICA_BOLD,
        }
    }
}

/// WinAnsi byte for the horizontal ellipsis, used when a single line has to be shortened.
pub(crate) const ELLIPSIS: u8 = 0x85;

/// What an unrepresentable character becomes. A visible mark rather than silence, so a reader
/// can tell something was there and look it up in the app.
const REPLACEMENT: u8 = b'?';

/// Encodes text as WinAnsi (Windows-1252) bytes for the standard fonts.
///
/// Clinicians paste text from word processors and email, so typographic punctuation is common
/// and must survive; text in other scripts cannot be drawn by the built-in fonts at all, and an
/// export must never fail because of one character. So:
/// - ASCII and Latin-1 (U+00A0–U+00FF) map to themselves;
/// - the Windows-1252 extras (‘ ’ “ ” – — … • € ™ Œ œ Š š Ž ž Ÿ ƒ ˆ ˜ ‹ › † ‡ ‰ ‚ „) map to
///   their 0x80–0x9F codes;
/// - near-equivalents are folded: other dashes and the minus sign to `-`, primes to quotes,
///   odd-width spaces to a space, a tab to a space;
/// - zero-width characters, carriage returns and other control characters are dropped;
///   `\n` is kept because the wrapper treats it as a line break;
/// - anything else becomes `?`.
pub(crate) fn encode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        if let Some(byte) = encode_char(c) {
            out.push(byte);
        }
    }
    out
}

fn encode_char(c: char) -> Option<u8> {
    let code = c as u32;
    let byte = match c {
        '\n' => b'\n',
        '\t' => b' ',
        ' '..='~' => code as u8,
        '\u{A0}'..='\u{FF}' => code as u8,
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        // Hyphen, non-breaking hyphen, figure dash, horizontal bar, minus sign, hyphen bullet.
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2015}' | '\u{2212}' | '\u{2043}' => b'-',
        '\u{2032}' | '\u{2035}' | '\u{201B}' => 0x92,
        '\u{2033}' | '\u{2036}' | '\u{201F}' => 0x94,
        // En quad to hair space, narrow no-break space, medium mathematical space, ideographic.
        '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => b' ',
        '\u{2024}' => b'.',
        '\u{2027}' | '\u{2219}' | '\u{25CF}' | '\u{25E6}' | '\u{2023}' => 0x95,
        // Zero-width space and joiners, word joiner, byte-order mark: invisible, so dropped.
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' => return None,
        c if c.is_control() => return None,
        _ => REPLACEMENT,
    };
    Some(byte)
}

/// Width in points of already-encoded bytes; the exact advance a viewer will use, since the
/// content streams apply no kerning.
pub(crate) fn width(bytes: &[u8], font: Font, size: f32) -> f32 {
    let widths = font.widths();
    let units: u32 = bytes
        .iter()
        .filter(|b| **b >= 0x20)
        .map(|b| u32::from(widths[usize::from(*b - 0x20)]))
        .sum();
    units as f32 * size / 1000.0
}

/// Breaks encoded text into lines no wider than `max_width` points.
///
/// `\n` is a hard line break and an empty line stays an empty line, because people use blank
/// lines in notes to separate thoughts. Runs of spaces collapse, as a reader expects of prose. A
/// word longer than the whole line (a URL, a reference number) is cut at the last character
/// that fits rather than overflowing into the margin. Always returns at least one line.
pub(crate) fn wrap(text: &[u8], font: Font, size: f32, max_width: f32) -> Vec<Vec<u8>> {
    // Widths summed word by word differ from the width of the whole line in the last bits, so a
    // column sized to exactly fit a line (as table columns are) must not wrap it.
    let max_width = max_width + 0.001;
    let space = width(b" ", font, size);
    let mut lines = Vec::new();
    for paragraph in text.split(|b| *b == b'\n') {
        let mut line: Vec<u8> = Vec::new();
        let mut line_width = 0.0_f32;
        for word in paragraph.split(|b| *b == b' ').filter(|w| !w.is_empty()) {
            let word_width = width(word, font, size);
            if !line.is_empty() && line_width + space + word_width <= max_width {
                line.push(b' ');
                line.extend_from_slice(word);
                line_width += space + word_width;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if word_width <= max_width {
                line.extend_from_slice(word);
                line_width = word_width;
                continue;
            }
            // Too long for any line: hard-break it, keeping at least one character per line so
            // even an absurdly narrow column makes progress.
            let mut piece: Vec<u8> = Vec::new();
            let mut piece_width = 0.0_f32;
            for &b in word {
                let w = width(&[b], font, size);
                if !piece.is_empty() && piece_width + w > max_width {
                    lines.push(std::mem::take(&mut piece));
                    piece_width = 0.0;
                }
                piece.push(b);
                piece_width += w;
            }
            line = piece;
            line_width = piece_width;
        }
        lines.push(line);
    }
    lines
}

/// Shortens a single line to fit, ending it with an ellipsis, for places with room for one line
/// only (the running header and footer).
pub(crate) fn truncate(text: &[u8], font: Font, size: f32, max_width: f32) -> Vec<u8> {
    let flat: Vec<u8> = text
        .iter()
        .map(|b| if *b == b'\n' { b' ' } else { *b })
        .collect();
    if width(&flat, font, size) <= max_width {
        return flat;
    }
    let budget = max_width - width(&[ELLIPSIS], font, size);
    let mut out = Vec::new();
    let mut used = 0.0;
    for &b in &flat {
        let w = width(&[b], font, size);
        if used + w > budget {
            break;
        }
        out.push(b);
        used += w;
    }
    while out.last() == Some(&b' ') {
        out.pop();
    }
    out.push(ELLIPSIS);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str, max_width: f32) -> Vec<String> {
        wrap(&encode(text), Font::Regular, 10.0, max_width)
            .into_iter()
            .map(|l| String::from_utf8(l).expect("test text is ASCII"))
            .collect()
    }

    #[test]
    fn widths_come_from_the_helvetica_metrics() {
        // 'a' is 556/1000 em, space 278, 'W' 944; Bold 'a' is also 556 but 'b' is 611.
        assert!((width(b"a", Font::Regular, 10.0) - 5.56).abs() < 1e-4);
        assert!((width(b"a a", Font::Regular, 10.0) - 13.9).abs() < 1e-4);
        assert!((width(b"W", Font::Regular, 12.0) - 11.328).abs() < 1e-4);
        assert!((width(b"b", Font::Bold, 10.0) - 6.11).abs() < 1e-4);
        assert!(width(b"title", Font::Bold, 10.0) > width(b"title", Font::Regular, 10.0));
        // The em dash is a full em in both faces.
        assert!((width(&encode("—"), Font::Bold, 10.0) - 10.0).abs() < 1e-4);
    }

    #[test]
    fn words_go_on_the_line_while_they_fit() {
        // "aaa aaa" is 3*5.56 + 2.78 + 3*5.56 = 36.14 pt.
        assert_eq!(lines("aaa aaa", 36.2), vec!["aaa aaa"]);
        assert_eq!(lines("aaa aaa", 36.0), vec!["aaa", "aaa"]);
        assert_eq!(lines("aaa   aaa", 100.0), vec!["aaa aaa"]);
        // A column measured to fit a line exactly keeps it on one line.
        for text in ["30 Jan", "Fictional outcome 17, attended"] {
            let exact = width(&encode(text), Font::Regular, 10.0);
            assert_eq!(lines(text, exact), vec![text]);
        }
    }

    #[test]
    fn a_word_longer_than_the_line_is_broken() {
        // Five 'a's are 27.8 pt, six 33.36 pt.
        let got = lines(&format!("x {} y", "a".repeat(13)), 30.0);
        assert_eq!(got, vec!["x", "aaaaa", "aaaaa", "aaa y"]);
        for line in &got {
            assert!(width(line.as_bytes(), Font::Regular, 10.0) <= 30.0);
        }
        // A column narrower than one glyph still makes progress, one character a line.
        assert_eq!(lines("ab", 1.0), vec!["a", "b"]);
    }

    #[test]
    fn line_breaks_and_blank_lines_are_kept() {
        assert_eq!(
            lines("one\n\ntwo\nthree", 500.0),
            vec!["one", "", "two", "three"]
        );
        assert_eq!(lines("", 500.0), vec![""]);
        assert_eq!(lines("trailing\n", 500.0), vec!["trailing", ""]);
    }

    #[test]
    fn unicode_punctuation_maps_to_winansi_and_the_rest_to_a_question_mark() {
        assert_eq!(
            encode("‘a’ “b” – — … • €"),
            vec![
                0x91, b'a', 0x92, b' ', 0x93, b'b', 0x94, b' ', 0x96, b' ', 0x97, b' ', 0x85, b' ',
                0x95, b' ', 0x80
            ]
        );
        assert_eq!(encode("café naïve"), b"caf\xe9 na\xefve".to_vec());
        assert_eq!(encode("日本 ok"), b"?? ok".to_vec());
        assert_eq!(encode("a\u{200B}b\r\nc\td"), b"ab\nc d".to_vec());
        assert_eq!(encode("x\u{2212}y"), b"x-y".to_vec());
    }

    #[test]
    fn truncation_ends_in_an_ellipsis_and_fits() {
        let long = encode(&"word ".repeat(50));
        let cut = truncate(&long, Font::Regular, 9.0, 100.0);
        assert_eq!(cut.last(), Some(&ELLIPSIS));
        assert!(width(&cut, Font::Regular, 9.0) <= 100.0);
        assert_eq!(truncate(b"short", Font::Regular, 9.0, 100.0), b"short");
    }
}
