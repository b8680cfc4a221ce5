//! The rules of shared files: what a file's name may be, what its type is (told by its
//! bytes, never by the uploader), which types a browser may show inline, how a download
//! names itself, and which byte range a request asks for.

use std::ops::Range;

/// The longest file name kept, in characters (the extension is kept when cutting).
pub const MAX_NAME_CHARS: usize = 255;

/// A file name as it is kept and shown: no directories (`../../etc/passwd` → `passwd`), no
/// control or direction-changing characters (a right-to-left override can make `exe.png`
/// look like `png.exe`), at most 255 characters with the extension kept, never empty or
/// only dots.
pub fn clean_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let kept: String = base.chars().filter(|c| !c.is_control() && !is_direction_mark(*c)).collect();
    let kept = kept.trim().trim_start_matches('.').trim();
    let kept = if kept.is_empty() { "file" } else { kept };
    if kept.chars().count() <= MAX_NAME_CHARS {
        return kept.to_owned();
    }
    let extension = kept.rsplit_once('.').map(|(_, e)| e).filter(|e| !e.is_empty() && e.chars().count() <= 16);
    match extension {
        Some(ext) => {
            let stem: String = kept.chars().take(MAX_NAME_CHARS - ext.chars().count() - 1).collect();
            format!("{stem}.{ext}")
        }
        None => kept.chars().take(MAX_NAME_CHARS).collect(),
    }
}

fn is_direction_mark(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The type of a file, told from its first bytes: a known signature, else plain text when
/// it is UTF-8 without NULs, else `application/octet-stream`. Markup (HTML, SVG, XML) is
/// plain text to hearth: it is never served as something a browser would run.
pub fn sniff(head: &[u8]) -> &'static str {
    if let Some(kind) = infer::get(head) {
        let mime = kind.mime_type();
        return match mime {
            "text/html" | "image/svg+xml" | "text/xml" | "application/xml" => "text/plain",
            _ => mime,
        };
    }
    // A cut in the middle of a character at the end of the head is still text.
    let text = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && e.valid_up_to() + 4 > head.len(),
    };
    if !head.is_empty() && text && !head.contains(&0) { "text/plain" } else { "application/octet-stream" }
}

/// The type of a file from its first bytes and its name. The bytes decide; the name only
/// tells a recording of sound from one of pictures where the container is the same (a `WebM`
/// or MP4 file holds either, and a browser records voice messages as `WebM`), and only
/// towards audio.
pub fn sniff_named(head: &[u8], name: &str) -> &'static str {
    let sniffed = sniff(head);
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match (sniffed, extension.as_str()) {
        ("video/webm", "weba" | "opus") => "audio/webm",
        ("video/mp4", "m4a" | "aac") => "audio/mp4",
        _ => sniffed,
    }
}

/// Shown in the browser (inline) rather than downloaded: raster images, audio, video and
/// PDF. Everything else, SVG and HTML included, is an attachment.
pub fn shown_inline(content_type: &str) -> bool {
    matches!(
        content_type,
        "image/png" | "image/jpeg" | "image/gif" | "image/webp" | "image/avif" | "image/bmp" | "application/pdf"
    ) || (content_type.starts_with("audio/") || content_type.starts_with("video/"))
}

/// Is it an image a browser can draw (for thumbnails and inline display)?
pub fn is_image(content_type: &str) -> bool {
    matches!(content_type, "image/png" | "image/jpeg" | "image/gif" | "image/webp" | "image/avif" | "image/bmp")
}

/// A `Content-Disposition` value (RFC 6266): `inline` or `attachment`, a plain-ASCII
/// `filename` for old clients, and the exact name percent-encoded as `filename*`.
pub fn content_disposition(name: &str, inline: bool) -> String {
    let kind = if inline { "inline" } else { "attachment" };
    let fallback: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    // RFC 8187's attr-char are kept as they are.
    let encoded = percent_encoded(name, b"!#$&+-.^_`|~");
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// A file name as one segment of a URL path, percent-encoded (the name in a download link
/// is for people and saved files; the id finds the file).
pub fn url_segment(name: &str) -> String {
    percent_encoded(name, b"-._~")
}

/// `text` with every byte but ASCII letters, digits and `safe` percent-encoded.
fn percent_encoded(text: &str, safe: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || safe.contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A `Range` header that cannot be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsatisfiable;

/// The byte range a `Range` header asks of a file of `size` bytes: `None` for the whole
/// file (no header, or one hearth does not serve in parts, such as several ranges or
/// another unit, which RFC 9110 allows answering whole).
pub fn requested_range(header: Option<&str>, size: u64) -> Result<Option<Range<u64>>, Unsatisfiable> {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else { return Ok(None) };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((from, to)) = spec.split_once('-') else { return Ok(None) };
    let (from, to) = (from.trim(), to.trim());
    let range = match (from.parse::<u64>(), to.parse::<u64>()) {
        // `bytes=-500`: the last 500 bytes.
        (Err(_), Ok(last)) if from.is_empty() => {
            if last == 0 {
                return Err(Unsatisfiable);
            }
            size.saturating_sub(last)..size
        }
        (Ok(start), Err(_)) if to.is_empty() => start..size,
        (Ok(start), Ok(end)) if end >= start => start..(end + 1).min(size),
        _ => return Ok(None),
    };
    if range.start >= size || range.is_empty() {
        return Err(Unsatisfiable);
    }
    Ok(Some(range))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_directories_controls_and_direction_marks() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\Users\\a\\report.pdf"), "report.pdf");
        assert_eq!(clean_name(".."), "file");
        assert_eq!(clean_name(""), "file");
        assert_eq!(clean_name("a\u{0}b\nc.txt"), "abc.txt");
        assert_eq!(clean_name("invoice\u{202E}gnp.exe"), "invoicegnp.exe");
        assert_eq!(clean_name(".bashrc"), "bashrc");
        let long = format!("{}.tar.gz", "x".repeat(1000));
        let cut = clean_name(&long);
        assert_eq!(cut.chars().count(), MAX_NAME_CHARS);
        assert_eq!(cut.rsplit_once('.').map(|(_, ext)| ext), Some("gz"));
        assert_eq!(clean_name("café déjà vu.png"), "café déjà vu.png");
    }

    #[test]
    fn types_come_from_the_bytes_and_markup_is_text() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "image/png");
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF"), "image/jpeg");
        assert_eq!(sniff(b"%PDF-1.7\n"), "application/pdf");
        let mut elf = b"\x7FELF\x02\x01\x01\0".to_vec();
        elf.resize(64, 0);
        assert_eq!(sniff(&elf), "application/x-executable");
        assert_eq!(sniff(b"<html><script>alert(1)</script></html>"), "text/plain");
        assert_eq!(sniff(b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script/></svg>"), "text/plain");
        assert_eq!(sniff("log line, caf\u{e9}\n".as_bytes()), "text/plain");
        assert_eq!(sniff(b"\0\x01\x02binary"), "application/octet-stream");
        assert_eq!(sniff(b""), "application/octet-stream");
    }

    #[test]
    fn a_name_tells_sound_from_pictures_in_the_same_container_and_nothing_more() {
        let mut webm =
            b"\x1A\x45\xDF\xA3\x9F\x42\x86\x81\x01\x42\xF7\x81\x01\x42\xF2\x81\x04\x42\xF3\x81\x08\x42\x82\x84webm"
                .to_vec();
        webm.resize(300, 0);
        let webm = webm.as_slice();
        assert_eq!(sniff(webm), "video/webm");
        assert_eq!(sniff_named(webm, "voice-message.weba"), "audio/webm");
        assert_eq!(sniff_named(webm, "clip.webm"), "video/webm");
        assert_eq!(sniff_named(b"%PDF-1.7\n", "song.weba"), "application/pdf", "never away from what the bytes say");
        assert_eq!(sniff_named(b"plain", "voice.weba"), "text/plain");
    }

    #[test]
    fn only_safe_types_are_inline() {
        for t in ["image/png", "image/jpeg", "image/gif", "audio/mpeg", "video/mp4", "application/pdf"] {
            assert!(shown_inline(t), "{t}");
        }
        for t in ["text/plain", "text/html", "image/svg+xml", "application/x-executable", "application/octet-stream"] {
            assert!(!shown_inline(t), "{t}");
        }
    }

    #[test]
    fn disposition_quotes_nothing_dangerous_and_keeps_the_exact_name_encoded() {
        assert_eq!(
            content_disposition("a \"b\".txt", false),
            "attachment; filename=\"a _b_.txt\"; filename*=UTF-8''a%20%22b%22.txt"
        );
        assert_eq!(content_disposition("ü.png", true), "inline; filename=\"_.png\"; filename*=UTF-8''%C3%BC.png");
    }

    #[test]
    fn ranges_as_rfc_9110_reads_them() {
        assert_eq!(requested_range(None, 100), Ok(None));
        assert_eq!(requested_range(Some("bytes=0-9"), 100), Ok(Some(0..10)));
        assert_eq!(requested_range(Some("bytes=90-"), 100), Ok(Some(90..100)));
        assert_eq!(requested_range(Some("bytes=-10"), 100), Ok(Some(90..100)));
        assert_eq!(requested_range(Some("bytes=-1000"), 100), Ok(Some(0..100)));
        assert_eq!(requested_range(Some("bytes=50-5000"), 100), Ok(Some(50..100)));
        assert_eq!(requested_range(Some("bytes=100-"), 100), Err(Unsatisfiable));
        assert_eq!(requested_range(Some("bytes=-0"), 100), Err(Unsatisfiable));
        assert_eq!(requested_range(Some("bytes=0-1,5-6"), 100), Ok(None));
        assert_eq!(requested_range(Some("items=0-1"), 100), Ok(None));
        assert_eq!(requested_range(Some("bytes=9-0"), 100), Ok(None));
        assert_eq!(requested_range(Some("bytes=0-0"), 0), Err(Unsatisfiable));
    }
}
