//! Placing blocks on A4 pages.
//!
//! Layout is done in full before anything is written, so the total page count is known when the
//! "Page N of M" footers are drawn. Everything is expressed as a few drawing operations in PDF
//! points (1/72 inch, origin at the bottom left), which the writer turns into content streams.

use crate::text::{self, Font};
use crate::{Block, Document};

pub(crate) const PAGE_WIDTH: f32 = 595.28;
pub(crate) const PAGE_HEIGHT: f32 = 841.89;
/// 20 mm: room for a hole punch or a binder on the left, and for printers that cannot print to
/// the edge.
const MARGIN: f32 = 56.69;
const CONTENT_LEFT: f32 = MARGIN;
const CONTENT_RIGHT: f32 = PAGE_WIDTH - MARGIN;
const CONTENT_WIDTH: f32 = CONTENT_RIGHT - CONTENT_LEFT;
const CONTENT_TOP: f32 = PAGE_HEIGHT - MARGIN;
/// Body text stops here, leaving the band below for the footer.
const CONTENT_BOTTOM: f32 = 68.0;
const FOOTER_RULE_Y: f32 = 52.0;
const FOOTER_BASELINE: f32 = 38.0;
const HEADER_BASELINE: f32 = PAGE_HEIGHT - 34.0;

/// Near-black rather than black for body text, and greys for secondary information, so the eye
/// finds the titles first.
const INK: f32 = 0.1;
const MUTED: f32 = 0.42;
const HAIRLINE: f32 = 0.8;

#[derive(Debug, Clone, Copy)]
struct Style {
    font: Font,
    size: f32,
    leading: f32,
    gray: f32,
}

const TITLE: Style = Style {
    font: Font::Bold,
    size: 20.0,
    leading: 25.0,
    gray: INK,
};
const SUBTITLE: Style = Style {
    font: Font::Regular,
    size: 13.0,
    leading: 17.0,
    gray: 0.25,
};
const META: Style = Style {
    font: Font::Regular,
    size: 9.0,
    leading: 12.0,
    gray: MUTED,
};
const HEADING: Style = Style {
    font: Font::Bold,
    size: 14.0,
    leading: 18.0,
    gray: INK,
};
const BODY: Style = Style {
    font: Font::Regular,
    size: 10.5,
    leading: 14.5,
    gray: INK,
};
const LABEL: Style = Style {
    font: Font::Bold,
    size: 10.0,
    leading: 14.0,
    gray: 0.25,
};
const VALUE: Style = Style {
    font: Font::Regular,
    size: 10.0,
    leading: 14.0,
    gray: INK,
};
const WHEN: Style = Style {
    font: Font::Regular,
    size: 9.5,
    leading: 13.0,
    gray: 0.3,
};
const ENTRY_TITLE: Style = Style {
    font: Font::Bold,
    size: 10.5,
    leading: 14.5,
    gray: INK,
};
const BYLINE: Style = Style {
    font: Font::Regular,
    size: 9.0,
    leading: 12.5,
    gray: MUTED,
};
const TABLE_HEAD: Style = Style {
    font: Font::Bold,
    size: 9.5,
    leading: 13.0,
    gray: INK,
};
const TABLE_CELL: Style = Style {
    font: Font::Regular,
    size: 9.5,
    leading: 13.0,
    gray: INK,
};
const FOOTER: Style = Style {
    font: Font::Regular,
    size: 8.5,
    leading: 11.0,
    gray: MUTED,
};

/// Width of the date column of chronology entries: fits "24 Nov 2026 14:03" at 9.5 pt.
const WHEN_COLUMN: f32 = 96.0;
const COLUMN_GAP: f32 = 12.0;
const CELL_PADDING: f32 = 4.0;
const BLOCK_GAP: f32 = 8.0;

/// One drawing operation, in PDF points.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    /// Encoded WinAnsi bytes with the baseline starting at (x, y).
    Text {
        font: Font,
        size: f32,
        gray: f32,
        x: f32,
        y: f32,
        bytes: Vec<u8>,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
        gray: f32,
    },
    FillRect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        gray: f32,
    },
}

/// A line of text waiting to be placed, with how it is to look.
#[derive(Debug, Clone)]
struct Line {
    style: Style,
    bytes: Vec<u8>,
}

/// One column of a multi-column row: where it starts and its lines, top to bottom.
struct Column {
    x: f32,
    lines: Vec<Line>,
}

fn lines(text: &str, style: Style, width: f32) -> Vec<Line> {
    text::wrap(&text::encode(text), style.font, style.size, width)
        .into_iter()
        .map(|bytes| Line { style, bytes })
        .collect()
}

/// Where the text baseline sits inside a line box of the given height.
fn baseline(top: f32, height: f32) -> f32 {
    top - height * 0.76
}

struct Layout {
    pages: Vec<Vec<Op>>,
    /// Top of the next line box on the current page.
    y: f32,
    /// Consecutive entries get a hairline between them; the first after a heading does not.
    after_entry: bool,
}

impl Layout {
    fn new() -> Self {
        Layout {
            pages: vec![Vec::new()],
            y: CONTENT_TOP,
            after_entry: false,
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("there is always a page")
    }

    fn at_page_top(&self) -> bool {
        self.y >= CONTENT_TOP
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = CONTENT_TOP;
    }

    /// Starts a new page unless `height` still fits on this one; a page that is still empty is
    /// never abandoned, so content taller than a page cannot loop.
    fn ensure(&mut self, height: f32) -> bool {
        if self.y - height < CONTENT_BOTTOM && !self.at_page_top() {
            self.new_page();
            true
        } else {
            false
        }
    }

    /// Vertical space, dropped at the top of a page where it would only push content down.
    fn gap(&mut self, height: f32) {
        if !self.at_page_top() {
            self.y -= height;
        }
    }

    fn text(&mut self, line: &Line, x: f32, y: f32) {
        if line.bytes.is_empty() {
            return;
        }
        let op = Op::Text {
            font: line.style.font,
            size: line.style.size,
            gray: line.style.gray,
            x,
            y,
            bytes: line.bytes.clone(),
        };
        self.ops().push(op);
    }

    fn rule(&mut self, y: f32, x1: f32, x2: f32, width: f32, gray: f32) {
        self.ops().push(Op::Line {
            x1,
            y1: y,
            x2,
            y2: y,
            width,
            gray,
        });
    }

    /// Places side-by-side columns one line box at a time, so a long row can run onto the next
    /// page. Line `i` of every column shares a baseline; `on_break` runs at the top of each
    /// continuation page (to repeat a table header or say what continues).
    fn columns(&mut self, columns: &[Column], on_break: &dyn Fn(&mut Layout)) {
        let rows = columns.iter().map(|c| c.lines.len()).max().unwrap_or(0);
        for i in 0..rows {
            let height = columns
                .iter()
                .filter_map(|c| c.lines.get(i))
                .map(|l| l.style.leading)
                .fold(0.0_f32, f32::max);
            if self.ensure(height) {
                on_break(self);
            }
            let y = baseline(self.y, height);
            for column in columns {
                if let Some(line) = column.lines.get(i) {
                    self.text(line, column.x, y);
                }
            }
            self.y -= height;
        }
    }

    fn block_lines(&mut self, lines: Vec<Line>) {
        self.columns(
            &[Column {
                x: CONTENT_LEFT,
                lines,
            }],
            &|_| {},
        );
    }
}

/// Lays out the whole document; returns each page's drawing operations, footers included.
pub(crate) fn lay_out(doc: &Document) -> Vec<Vec<Op>> {
    let mut layout = Layout::new();
    title_block(&mut layout, doc);
    for block in &doc.blocks {
        let after_entry = std::mem::replace(
            &mut layout.after_entry,
            matches!(block, Block::Entry { .. }),
        );
        match block {
            Block::Heading(text) => heading(&mut layout, text),
            Block::Paragraph(text) => {
                layout.block_lines(lines(text, BODY, CONTENT_WIDTH));
                layout.gap(BLOCK_GAP);
            }
            Block::KeyValues(pairs) => key_values(&mut layout, pairs),
            Block::Entry {
                when,
                title,
                byline,
                body,
            } => entry(
                &mut layout,
                when,
                title,
                byline.as_deref(),
                body,
                after_entry,
            ),
            Block::Table { headers, rows } => table(&mut layout, headers, rows),
            Block::Rule => {
                layout.ensure(12.0);
                layout.gap(4.0);
                let y = layout.y - 4.0;
                layout.rule(y, CONTENT_LEFT, CONTENT_RIGHT, 0.75, 0.55);
                layout.y -= 8.0;
                layout.gap(BLOCK_GAP);
            }
        }
    }
    let mut pages = layout.pages;
    decorate(&mut pages, doc);
    pages
}

fn title_block(layout: &mut Layout, doc: &Document) {
    layout.block_lines(lines(&doc.title, TITLE, CONTENT_WIDTH));
    if let Some(subtitle) = &doc.subtitle {
        layout.y -= 2.0;
        layout.block_lines(lines(subtitle, SUBTITLE, CONTENT_WIDTH));
    }
    if !doc.generated.is_empty() {
        layout.y -= 4.0;
        layout.block_lines(lines(&doc.generated, META, CONTENT_WIDTH));
    }
    let y = layout.y - 8.0;
    layout.rule(y, CONTENT_LEFT, CONTENT_RIGHT, 1.0, 0.3);
    layout.y -= 20.0;
}

fn heading(layout: &mut Layout, text: &str) {
    let heading = lines(text, HEADING, CONTENT_WIDTH);
    // Keep the heading with at least three lines of what it introduces.
    let height = heading.len() as f32 * HEADING.leading + 6.0 + 3.0 * BODY.leading;
    layout.gap(10.0);
    layout.ensure(height);
    layout.block_lines(heading);
    layout.y -= 6.0;
}

fn key_values(layout: &mut Layout, pairs: &[(String, String)]) {
    let widest_label = pairs
        .iter()
        .map(|(label, _)| text::width(&text::encode(label), LABEL.font, LABEL.size))
        .fold(0.0_f32, f32::max);
    let label_width = widest_label.clamp(40.0, CONTENT_WIDTH * 0.35);
    let value_x = CONTENT_LEFT + label_width + COLUMN_GAP;
    let value_width = CONTENT_RIGHT - value_x;
    for (label, value) in pairs {
        let label_lines = lines(label, LABEL, label_width);
        let value_lines = lines(value, VALUE, value_width);
        // Keep short pairs whole; only a value longer than a page is split.
        let height = label_lines.len().max(value_lines.len()) as f32 * VALUE.leading;
        if height <= CONTENT_TOP - CONTENT_BOTTOM {
            layout.ensure(height);
        }
        layout.columns(
            &[
                Column {
                    x: CONTENT_LEFT,
                    lines: label_lines,
                },
                Column {
                    x: value_x,
                    lines: value_lines,
                },
            ],
            &|_| {},
        );
        layout.y -= 3.0;
    }
    layout.gap(BLOCK_GAP);
}

fn entry(
    layout: &mut Layout,
    when: &str,
    title: &str,
    byline: Option<&str>,
    body: &str,
    after_entry: bool,
) {
    let body_x = CONTENT_LEFT + WHEN_COLUMN + COLUMN_GAP;
    let body_width = CONTENT_RIGHT - body_x;
    let when_lines = lines(when, WHEN, WHEN_COLUMN);
    let mut main = lines(title, ENTRY_TITLE, body_width);
    if let Some(byline) = byline.filter(|b| !b.trim().is_empty()) {
        main.extend(lines(byline, BYLINE, body_width));
    }
    if !body.is_empty() {
        main.extend(lines(body, BODY, body_width));
    }

    // Start on a new page rather than leave only the title stranded at the bottom of this one.
    let opening: f32 = main.iter().take(3).map(|l| l.style.leading).sum();
    layout.ensure(opening + 8.0);
    if after_entry && !layout.at_page_top() {
        layout.y -= 4.0;
        let y = layout.y;
        layout.rule(y, CONTENT_LEFT, CONTENT_RIGHT, 0.5, HAIRLINE);
        layout.y -= 6.0;
    }

    let mut continued = text::truncate(
        &text::encode(&format!("{when} \u{2013} {title}")),
        BYLINE.font,
        BYLINE.size,
        CONTENT_WIDTH - 60.0,
    );
    continued.extend_from_slice(b" (continued)");
    let continued = Line {
        style: BYLINE,
        bytes: continued,
    };
    layout.columns(
        &[
            Column {
                x: CONTENT_LEFT,
                lines: when_lines,
            },
            Column {
                x: body_x,
                lines: main,
            },
        ],
        &|layout| {
            let y = baseline(layout.y, continued.style.leading);
            layout.text(&continued, CONTENT_LEFT, y);
            layout.y -= continued.style.leading + 4.0;
        },
    );
    layout.y -= 6.0;
}

/// Column widths for a table: narrow columns get what they need, and the rest of the width is
/// shared among the wide ones in proportion to their content, so a "Notes" column does not
/// squeeze a "Date" column into wrapping.
fn column_widths(headers: &[String], rows: &[Vec<String>]) -> Vec<f32> {
    let n = headers.len();
    let mut natural = vec![0.0_f32; n];
    for (i, header) in headers.iter().enumerate() {
        natural[i] = text::width(&text::encode(header), TABLE_HEAD.font, TABLE_HEAD.size);
    }
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(n) {
            for line in text::encode(cell).split(|b| *b == b'\n') {
                let w = text::width(line, TABLE_CELL.font, TABLE_CELL.size);
                natural[i] = natural[i].max(w);
            }
        }
    }
    let natural: Vec<f32> = natural
        .into_iter()
        .map(|w| w + 2.0 * CELL_PADDING)
        .collect();
    let total: f32 = natural.iter().sum();
    if total <= CONTENT_WIDTH {
        let scale = CONTENT_WIDTH / total.max(1.0);
        return natural.iter().map(|w| w * scale).collect();
    }
    let mut fixed = vec![false; n];
    loop {
        let free_width: f32 = CONTENT_WIDTH
            - (0..n)
                .filter(|i| fixed[*i])
                .map(|i| natural[i])
                .sum::<f32>();
        let flexible: Vec<usize> = (0..n).filter(|i| !fixed[*i]).collect();
        let share = free_width / flexible.len().max(1) as f32;
        let newly_fixed: Vec<usize> = flexible
            .iter()
            .copied()
            .filter(|i| natural[*i] <= share)
            .collect();
        if newly_fixed.is_empty() || newly_fixed.len() == flexible.len() {
            let flexible_natural: f32 = flexible.iter().map(|i| natural[*i]).sum();
            return (0..n)
                .map(|i| {
                    if fixed[i] {
                        natural[i]
                    } else {
                        free_width * natural[i] / flexible_natural.max(1.0)
                    }
                })
                .collect();
        }
        for i in newly_fixed {
            fixed[i] = true;
        }
    }
}

fn table(layout: &mut Layout, headers: &[String], rows: &[Vec<String>]) {
    let widths = column_widths(headers, rows);
    let mut xs = Vec::with_capacity(widths.len());
    let mut x = CONTENT_LEFT;
    for w in &widths {
        xs.push(x);
        x += w;
    }
    let cells = |texts: &[String], style: Style| -> Vec<Column> {
        texts
            .iter()
            .zip(xs.iter().zip(&widths))
            .map(|(text, (x, w))| Column {
                x: x + CELL_PADDING,
                lines: lines(text, style, (w - 2.0 * CELL_PADDING).max(1.0)),
            })
            .collect()
    };
    let header = cells(headers, TABLE_HEAD);
    let header_height = height_of(&header) + 2.0 * CELL_PADDING;
    let draw_header = |layout: &mut Layout| {
        let top = layout.y;
        layout.ops().push(Op::FillRect {
            x: CONTENT_LEFT,
            y: top - header_height,
            w: CONTENT_WIDTH,
            h: header_height,
            gray: 0.92,
        });
        layout.y -= CELL_PADDING;
        layout.columns(&header, &|_| {});
        layout.y -= CELL_PADDING;
    };

    let first_row_height = rows
        .first()
        .map(|row| height_of(&cells(row, TABLE_CELL)) + 2.0 * CELL_PADDING)
        .unwrap_or(0.0);
    layout.ensure(header_height + first_row_height);
    draw_header(layout);
    for row in rows {
        let columns = cells(row, TABLE_CELL);
        let height = height_of(&columns) + 2.0 * CELL_PADDING;
        // Keep a row together when it fits on a page; repeat the header on the new page.
        if height <= CONTENT_TOP - CONTENT_BOTTOM - header_height && layout.ensure(height) {
            draw_header(layout);
        }
        layout.y -= CELL_PADDING;
        layout.columns(&columns, &|layout| {
            draw_header(layout);
        });
        layout.y -= CELL_PADDING;
        let y = layout.y;
        layout.rule(y, CONTENT_LEFT, CONTENT_RIGHT, 0.5, HAIRLINE);
    }
    layout.y -= BLOCK_GAP + 4.0;
}

fn height_of(columns: &[Column]) -> f32 {
    columns
        .iter()
        .map(|c| c.lines.iter().map(|l| l.style.leading).sum::<f32>())
        .fold(0.0, f32::max)
}

/// Adds the running header (pages after the first) and the footer with "Page N of M" (every
/// page), now that the page count is known.
fn decorate(pages: &mut [Vec<Op>], doc: &Document) {
    let total = pages.len();
    let header = text::truncate(
        &text::encode(&doc.title),
        FOOTER.font,
        FOOTER.size,
        CONTENT_WIDTH,
    );
    for (index, ops) in pages.iter_mut().enumerate() {
        let number = format!("Page {} of {}", index + 1, total).into_bytes();
        let number_width = text::width(&number, FOOTER.font, FOOTER.size);
        let footer = text::truncate(
            &text::encode(&doc.footer),
            FOOTER.font,
            FOOTER.size,
            CONTENT_WIDTH - number_width - 24.0,
        );
        ops.push(Op::Line {
            x1: CONTENT_LEFT,
            y1: FOOTER_RULE_Y,
            x2: CONTENT_RIGHT,
            y2: FOOTER_RULE_Y,
            width: 0.5,
            gray: HAIRLINE,
        });
        for (bytes, x) in [
            (footer, CONTENT_LEFT),
            (number, CONTENT_RIGHT - number_width),
        ] {
            ops.push(Op::Text {
                font: FOOTER.font,
                size: FOOTER.size,
                gray: FOOTER.gray,
                x,
                y: FOOTER_BASELINE,
                bytes,
            });
        }
        if index > 0 {
            ops.push(Op::Text {
                font: FOOTER.font,
                size: FOOTER.size,
                gray: FOOTER.gray,
                x: CONTENT_LEFT,
                y: HEADER_BASELINE,
                bytes: header.clone(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_ops(page: &[Op]) -> impl Iterator<Item = (f32, f32, &[u8])> {
        text_ops_styled(page).map(|(x, y, bytes, _)| (x, y, bytes))
    }

    /// Text operations with the width they occupy.
    fn text_ops_styled(page: &[Op]) -> impl Iterator<Item = (f32, f32, &[u8], f32)> {
        page.iter().filter_map(|op| match op {
            Op::Text {
                x,
                y,
                bytes,
                font,
                size,
                ..
            } => Some((*x, *y, bytes.as_slice(), text::width(bytes, *font, *size))),
            _ => None,
        })
    }

    fn doc(blocks: Vec<Block>) -> Document {
        Document {
            title: "Layout test".into(),
            subtitle: None,
            generated: "Generated for a test".into(),
            footer: "Footer".into(),
            blocks,
        }
    }

    #[test]
    fn nothing_is_drawn_outside_the_page_body_except_header_and_footer() {
        let long = "Fictional words repeated to fill space. ".repeat(400);
        let pages = lay_out(&doc(vec![
            Block::Paragraph(long.clone()),
            Block::Entry {
                when: "1 Jan 2026".into(),
                title: "A long entry".into(),
                byline: Some("by nobody".into()),
                body: long,
            },
        ]));
        assert!(pages.len() > 2);
        for page in &pages {
            for (x, y, _, w) in text_ops_styled(page) {
                let is_chrome = y == FOOTER_BASELINE || y == HEADER_BASELINE;
                assert!(
                    is_chrome || (CONTENT_BOTTOM..=CONTENT_TOP).contains(&y),
                    "y={y}"
                );
                assert!(x >= CONTENT_LEFT);
                assert!(x + w <= CONTENT_RIGHT + 0.01, "line overflows: x={x} w={w}");
            }
        }
    }

    #[test]
    fn a_long_entry_says_it_continues() {
        let pages = lay_out(&doc(vec![Block::Entry {
            when: "1 Jan 2026".into(),
            title: "Spanning entry".into(),
            byline: None,
            body: "Fictional line\n".repeat(120),
        }]));
        assert!(pages.len() >= 2);
        let continued = text_ops(&pages[1])
            .any(|(_, _, b)| b.ends_with(b"(continued)") && b.starts_with(b"1 Jan 2026"));
        assert!(
            continued,
            "second page should open with a continuation line"
        );
    }

    #[test]
    fn table_header_repeats_on_each_page() {
        let rows = (0..150)
            .map(|i| vec![format!("2026-01-{i:03}"), format!("Fictional row {i}")])
            .collect();
        let pages = lay_out(&doc(vec![Block::Table {
            headers: vec!["Date".into(), "What happened".into()],
            rows,
        }]));
        assert!(pages.len() >= 2);
        for page in &pages {
            assert!(text_ops(page).any(|(_, _, b)| b == b"What happened"));
        }
    }

    #[test]
    fn narrow_columns_keep_their_width_when_a_table_is_too_wide() {
        let headers = vec!["Date".to_string(), "Notes".to_string()];
        let rows = vec![vec!["2026-01-01".to_string(), "word ".repeat(200)]];
        let widths = column_widths(&headers, &rows);
        let date_natural = text::width(b"2026-01-01", Font::Regular, 9.5) + 2.0 * CELL_PADDING;
        assert!((widths[0] - date_natural).abs() < 0.01);
        assert!((widths.iter().sum::<f32>() - CONTENT_WIDTH).abs() < 0.01);
    }
}
