//! Cards as HTML: every text escaped or rendered through the message renderer's sanitiser,
//! every address http(s), colours from a fixed set of classes or an exact hex value.

use std::fmt::Write as _;

use super::{Attachment, Block, ContextPart, Image, Inline, escape_into};

pub(super) fn render_block(out: &mut String, block: &Block, inline: &dyn Fn(&mut String, &Inline)) {
    match block {
        Block::Section { text, fields, image } => {
            out.push_str(r#"<div class="block-section">"#);
            if let Some(img) = image {
                render_image(out, img, "block-accessory");
            }
            if let Some(t) = text {
                inline(out, t);
            }
            if !fields.is_empty() {
                out.push_str(r#"<div class="card-fields">"#);
                for f in fields {
                    out.push_str(r#"<div class="card-field card-field-short">"#);
                    inline(out, f);
                    out.push_str("</div>");
                }
                out.push_str("</div>");
            }
            out.push_str("</div>");
        }
        Block::Header(text) => {
            out.push_str(r#"<p class="block-header"><strong>"#);
            escape_into(out, text);
            out.push_str("</strong></p>");
        }
        Block::Divider => out.push_str(r#"<hr class="block-divider">"#),
        Block::Context(parts) => {
            out.push_str(r#"<div class="block-context">"#);
            for p in parts {
                match p {
                    ContextPart::Text(t) => inline(out, t),
                    ContextPart::Image(img) => render_image(out, img, "context-image"),
                }
            }
            out.push_str("</div>");
        }
        Block::Image(img) => render_image(out, img, "block-image"),
        Block::RichText(t) => inline(out, t),
    }
}

/// Pictures from other sites are not loaded by hearth's pages (their policy allows only
/// its own): an image shows as a link to it, named by its title or alternative text.
fn render_image(out: &mut String, img: &Image, class: &str) {
    let label = [img.title.as_str(), img.alt.as_str()].into_iter().find(|s| !s.trim().is_empty()).unwrap_or("image");
    let _ = write!(out, r#"<a class="card-image {class}" href=""#);
    escape_into(out, &img.url);
    out.push_str(r#"">🖼 "#);
    escape_into(out, label);
    out.push_str("</a>");
}

pub(super) fn render_attachment(out: &mut String, a: &Attachment, inline: &dyn Fn(&mut String, &Inline)) {
    let (class, hex) = color(a.color.as_deref());
    let _ = write!(out, r#"<div class="attachment attachment-{class}""#);
    if let Some(hex) = hex {
        let _ = write!(out, r#" data-color="{hex}""#);
    }
    out.push('>');
    if let Some(p) = &a.pretext {
        out.push_str(r#"<div class="attachment-pretext">"#);
        inline(out, p);
        out.push_str("</div>");
    }
    if !a.author_name.is_empty() {
        out.push_str(r#"<p class="attachment-author">"#);
        link_or_text(out, &a.author_name, a.author_link.as_deref());
        out.push_str("</p>");
    }
    if !a.title.is_empty() {
        out.push_str(r#"<p class="attachment-title"><strong>"#);
        link_or_text(out, &a.title, a.title_link.as_deref());
        out.push_str("</strong></p>");
    }
    if let Some(t) = &a.text {
        inline(out, t);
    }
    if !a.fields.is_empty() {
        out.push_str(r#"<div class="card-fields">"#);
        for f in &a.fields {
            let width = if f.short { "card-field card-field-short" } else { "card-field" };
            let _ = write!(out, r#"<div class="{width}">"#);
            if !f.title.is_empty() {
                out.push_str(r#"<p class="card-field-title"><strong>"#);
                escape_into(out, &f.title);
                out.push_str("</strong></p>");
            }
            if let Some(v) = &f.value {
                inline(out, v);
            }
            out.push_str("</div>");
        }
        if a.more_fields > 0 {
            let _ = write!(out, r#"<p class="card-more">and {} more fields</p>"#, a.more_fields);
        }
        out.push_str("</div>");
    }
    for (url, class) in [(&a.image_url, "attachment-image"), (&a.thumb_url, "attachment-thumb")] {
        if let Some(url) = url {
            render_image(out, &Image { url: url.clone(), alt: String::new(), title: String::new() }, class);
        }
    }
    if !a.footer.is_empty() || a.ts.is_some() {
        out.push_str(r#"<p class="attachment-footer">"#);
        escape_into(out, &a.footer);
        if let Some(ts) = a.ts.and_then(|s| chrono::DateTime::from_timestamp(s, 0)) {
            if !a.footer.is_empty() {
                out.push_str(" · ");
            }
            let _ = write!(
                out,
                r#"<time datetime="{}">{}</time>"#,
                ts.format("%Y-%m-%dT%H:%M:%SZ"),
                ts.format("%Y-%m-%d %H:%M UTC")
            );
        }
        out.push_str("</p>");
    }
    out.push_str("</div>");
}

fn link_or_text(out: &mut String, text: &str, url: Option<&str>) {
    match url {
        Some(url) => {
            out.push_str(r#"<a href=""#);
            escape_into(out, url);
            out.push_str(r#"" rel="noopener noreferrer nofollow">"#);
            escape_into(out, text);
            out.push_str("</a>");
        }
        None => escape_into(out, text),
    }
}

/// An attachment's colour: a class for pages without JavaScript (the nearest of a few
/// named colours) and, for a hex colour, the exact value for the page script to apply.
fn color(raw: Option<&str>) -> (&'static str, Option<String>) {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return ("plain", None);
    };
    match raw {
        "good" => return ("good", None),
        "warning" => return ("warning", None),
        "danger" => return ("danger", None),
        _ => {}
    }
    let hex = raw.strip_prefix('#').unwrap_or(raw);
    let full = match hex.len() {
        3 => hex.chars().flat_map(|c| [c, c]).collect::<String>(),
        6 => hex.to_owned(),
        _ => return ("plain", None),
    };
    let Ok(rgb) = u32::from_str_radix(&full, 16) else {
        return ("plain", None);
    };
    let [_, r, g, b] = rgb.to_be_bytes();
    let class = if r > 160 && g < 120 && b < 120 {
        "danger"
    } else if r > 160 && g > 120 && b < 120 {
        "warning"
    } else if g > r && g > b {
        "good"
    } else if b > r && b > g {
        "info"
    } else {
        "plain"
    };
    (class, Some(format!("#{}", full.to_ascii_lowercase())))
}
