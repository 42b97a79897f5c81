//! Writing laid-out pages as a PDF file with `lopdf`.

use lopdf::content::{Content, Operation};
use lopdf::{dictionary, Dictionary, Object, Stream, StringFormat};

use crate::layout::{Op, PAGE_HEIGHT, PAGE_WIDTH};
use crate::text::Font;
use crate::{Document, ExportError};

/// Two decimals is 1/3600 inch: far below what a printer resolves, and it keeps the content
/// streams short and free of float noise such as `56.690002`.
fn num(value: f32) -> Object {
    Object::Real((value * 100.0).round() / 100.0)
}

fn font_dictionary(font: Font) -> Dictionary {
    // WinAnsiEncoding makes the bytes from `text::encode` mean the same characters to every
    // viewer and text extractor.
    dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => font.base_font(),
        "Encoding" => "WinAnsiEncoding",
    }
}

/// A PDF text string for the document information dictionary. UTF-16BE with a byte-order mark
/// is the one form that carries any Unicode title intact, so the file list shows it exactly.
fn text_string(text: &str) -> Object {
    let mut bytes = vec![0xFE, 0xFF];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_be_bytes());
    }
    Object::String(bytes, StringFormat::Hexadecimal)
}

fn operations(ops: &[Op]) -> Vec<Operation> {
    let mut out = Vec::new();
    for op in ops {
        match op {
            Op::Text {
                font,
                size,
                gray,
                x,
                y,
                bytes,
            } => {
                out.push(Operation::new("BT", vec![]));
                out.push(Operation::new(
                    "Tf",
                    vec![font.resource_name().into(), num(*size)],
                ));
                out.push(Operation::new("g", vec![num(*gray)]));
                out.push(Operation::new("Td", vec![num(*x), num(*y)]));
                out.push(Operation::new(
                    "Tj",
                    vec![Object::String(bytes.clone(), StringFormat::Literal)],
                ));
                out.push(Operation::new("ET", vec![]));
            }
            Op::Line {
                x1,
                y1,
                x2,
                y2,
                width,
                gray,
            } => {
                out.push(Operation::new("G", vec![num(*gray)]));
                out.push(Operation::new("w", vec![num(*width)]));
                out.push(Operation::new("m", vec![num(*x1), num(*y1)]));
                out.push(Operation::new("l", vec![num(*x2), num(*y2)]));
                out.push(Operation::new("S", vec![]));
            }
            Op::FillRect { x, y, w, h, gray } => {
                out.push(Operation::new("g", vec![num(*gray)]));
                out.push(Operation::new(
                    "re",
                    vec![num(*x), num(*y), num(*w), num(*h)],
                ));
                out.push(Operation::new("f", vec![]));
            }
        }
    }
    out
}

pub(crate) fn write(doc: &Document, pages: &[Vec<Op>]) -> Result<Vec<u8>, ExportError> {
    let mut pdf = lopdf::Document::with_version("1.5");
    let pages_id = pdf.new_object_id();
    let regular = pdf.add_object(font_dictionary(Font::Regular));
    let bold = pdf.add_object(font_dictionary(Font::Bold));
    let resources = pdf.add_object(dictionary! {
        "Font" => dictionary! {
            Font::Regular.resource_name() => regular,
            Font::Bold.resource_name() => bold,
        },
    });

    let mut kids = Vec::with_capacity(pages.len());
    for ops in pages {
        let content = Content {
            operations: operations(ops),
        };
        let encoded = content
            .encode()
            .map_err(|e| ExportError::Assemble(format!("page content: {e}")))?;
        let content_id = pdf.add_object(Stream::new(dictionary! {}, encoded));
        let page_id = pdf.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
        });
        kids.push(page_id.into());
    }
    let count = kids.len() as i64;
    pdf.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => count,
            "Resources" => resources,
            "MediaBox" => vec![0.into(), 0.into(), num(PAGE_WIDTH), num(PAGE_HEIGHT)],
        }),
    );
    let catalog = pdf.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
    });
    let info = pdf.add_object(dictionary! {
        "Title" => text_string(&doc.title),
        "Producer" => text_string("Casebook"),
    });
    pdf.trailer.set("Root", catalog);
    pdf.trailer.set("Info", info);
    pdf.compress();

    let mut out = Vec::new();
    pdf.save_to(&mut out)
        .map_err(|e| ExportError::Assemble(format!("writing the file: {e}")))?;
    Ok(out)
}
