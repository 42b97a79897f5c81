//! Text written by someone else (a colleague's note, a laptop's name), made safe to print on a
//! terminal: control characters would otherwise be obeyed by it (an escape sequence can rewrite
//! the screen, change the window title or hide the lines above it).

use std::borrow::Cow;

/// `text` with every control character, and every bidirectional override that could make text
/// read differently from how it is stored, written as a visible `\u{…}` escape. Tabs are kept, and
/// newlines too when `multiline` (a note's paragraphs); a one-line field escapes them, so that it
/// cannot pretend to be another line of the listing.
pub fn printable(text: &str, multiline: bool) -> Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\t' && !(multiline && c == '\n')) || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn escapes_what_a_terminal_would_obey() {
        assert_eq!(printable("Plain note\twith a tab", false), "Plain note\twith a tab");
        assert_eq!(printable("red \u{1b}[31mtext\u{1b}]0;title\u{7}", false), "red \\u{1b}[31mtext\\u{1b}]0;title\\u{7}");
        assert_eq!(printable("two\nlines\r", true), "two\nlines\\u{d}");
        assert_eq!(printable("two\nlines", false), "two\\u{a}lines");
        assert_eq!(printable("C1 \u{9b}2J and \u{202e}reversed", true), "C1 \\u{9b}2J and \\u{202e}reversed");
    }
}
