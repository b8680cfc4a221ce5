//! Pictures among shared files: their size in pixels, a thumbnail, and location metadata
//! taken out of photos before they are stored. Decoding is bounded (width, height and
//! memory), so that a decompression bomb fails cleanly and is kept as an ordinary file.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

/// Widest or tallest picture decoded; anything larger is shared as a plain file.
pub const MAX_SIDE: u32 = 16_384;
/// Memory a decoded picture may take.
pub const MAX_DECODED_BYTES: u64 = 256 << 20;
/// Thumbnails fit in this square (shown at half size on high-density screens).
pub const THUMBNAIL_SIDE: u32 = 720;

/// What was learnt of a picture.
#[derive(Debug)]
pub struct Picture {
    /// As shown, after the photo's orientation is applied.
    pub width: u32,
    pub height: u32,
    /// A smaller copy, when the picture is larger than a thumbnail and not animated.
    pub thumbnail: Option<Thumbnail>,
}

/// An encoded thumbnail.
#[derive(Debug)]
pub struct Thumbnail {
    pub bytes: Vec<u8>,
    /// `image/png` when the picture has transparency, else `image/jpeg`.
    pub content_type: &'static str,
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    limits
}

fn decoder(bytes: &[u8]) -> Option<impl ImageDecoder + '_> {
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().ok()?;
    reader.limits(limits());
    reader.into_decoder().ok()
}

/// The size in pixels from a picture's first bytes, when they hold its header and it is
/// within the decoding limits. Orientation is not applied.
pub fn dimensions(head: &[u8]) -> Option<(u32, u32)> {
    let (width, height) = decoder(head)?.dimensions();
    (width > 0 && height > 0 && width <= MAX_SIDE && height <= MAX_SIDE).then_some((width, height))
}

/// Decodes a whole picture of type `content_type` (as sniffed) and makes its thumbnail.
/// `None` when it cannot be decoded within the limits. A GIF keeps no thumbnail: it is
/// shown itself, so that it animates.
pub fn examine(bytes: &[u8], content_type: &str) -> Option<Picture> {
    let mut decoder = decoder(bytes)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 || decoder.total_bytes() > MAX_DECODED_BYTES {
        return None;
    }
    let orientation = decoder.orientation().ok();
    if content_type == "image/gif" {
        return Some(Picture { width, height, thumbnail: None });
    }
    let mut picture = DynamicImage::from_decoder(decoder).ok()?;
    if let Some(orientation) = orientation {
        picture.apply_orientation(orientation);
    }
    let (width, height) = (picture.width(), picture.height());
    let thumbnail = (width > THUMBNAIL_SIDE || height > THUMBNAIL_SIDE).then(|| {
        let small = picture.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE);
        encode(&small)
    });
    Some(Picture { width, height, thumbnail: thumbnail.flatten() })
}

fn encode(picture: &DynamicImage) -> Option<Thumbnail> {
    let mut bytes = Vec::new();
    if picture.color().has_alpha() {
        picture.write_with_encoder(image::codecs::png::PngEncoder::new(&mut bytes)).ok()?;
        Some(Thumbnail { bytes, content_type: "image/png" })
    } else {
        let rgb = DynamicImage::ImageRgb8(picture.to_rgb8());
        rgb.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 82)).ok()?;
        Some(Thumbnail { bytes, content_type: "image/jpeg" })
    }
}

/// How many bytes of a JPEG to hold back before storing it, so that its metadata segments
/// (each at most 64 KiB, and they come first) can be cleaned.
pub const JPEG_METADATA_BYTES: usize = 256 << 10;

/// Takes location out of a JPEG's metadata in place, keeping its length (so the rest of the
/// file streams on untouched): the EXIF GPS directory and everything it points to are
/// zeroed and unlinked, and an XMP packet that mentions GPS is blanked. Orientation, camera
/// and time stay. Answers whether anything was removed. Segments cut off by the end of
/// `head` are left as they are.
pub fn strip_location(head: &mut [u8]) -> bool {
    if !head.starts_with(&[0xFF, 0xD8]) {
        return false;
    }
    let mut removed = false;
    let mut at = 2;
    while at + 4 <= head.len() && head[at] == 0xFF {
        let marker = head[at + 1];
        if marker == 0xFF {
            at += 1; // fill byte
            continue;
        }
        if marker == 0xDA || marker == 0xD9 {
            break; // the image data starts: no metadata past here
        }
        if marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
            at += 2;
            continue;
        }
        let length = usize::from(u16::from_be_bytes([head[at + 2], head[at + 3]]));
        let Some(segment) = head.get_mut(at + 4..at + 2 + length.max(2)) else { break };
        if marker == 0xE1 {
            if let Some(tiff) = segment.strip_prefix(b"Exif\0\0") {
                let start = segment.len() - tiff.len();
                removed |= strip_exif_gps(&mut segment[start..]);
            } else if segment.starts_with(b"http://ns.adobe.com/xap/1.0/\0") && contains(segment, b"GPS") {
                segment[29..].fill(b' ');
                removed = true;
            }
        }
        at += 2 + length;
    }
    removed
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Byte order of a TIFF structure (EXIF is one).
#[derive(Clone, Copy)]
struct Tiff {
    little: bool,
}

impl Tiff {
    fn u16(self, t: &[u8], at: usize) -> Option<usize> {
        let b: [u8; 2] = t.get(at..at + 2)?.try_into().ok()?;
        Some(usize::from(if self.little { u16::from_le_bytes(b) } else { u16::from_be_bytes(b) }))
    }

    fn u32(self, t: &[u8], at: usize) -> Option<usize> {
        let b: [u8; 4] = t.get(at..at + 4)?.try_into().ok()?;
        usize::try_from(if self.little { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) }).ok()
    }

    fn put_u16(self, t: &mut [u8], at: usize, value: u16) {
        let b = if self.little { value.to_le_bytes() } else { value.to_be_bytes() };
        t[at..at + 2].copy_from_slice(&b);
    }
}

const GPS_POINTER: usize = 0x8825;
const ENTRY: usize = 12;

/// Bytes per value of each TIFF field type (1 BYTE … 12 DOUBLE).
fn type_size(kind: usize) -> Option<usize> {
    match kind {
        1 | 2 | 6 | 7 => Some(1),
        3 | 8 => Some(2),
        4 | 9 | 11 => Some(4),
        5 | 10 | 12 => Some(8),
        _ => None,
    }
}

/// Zeroes the GPS directory of an EXIF structure and removes the first directory's entry
/// pointing to it. Checks every offset first; changes nothing in a malformed structure.
fn strip_exif_gps(t: &mut [u8]) -> bool {
    let tiff = match t.get(..4) {
        Some(b"II*\0") => Tiff { little: true },
        Some(b"MM\0*") => Tiff { little: false },
        _ => return false,
    };
    let Some(ifd0) = tiff.u32(t, 4) else { return false };
    let Some(count) = tiff.u16(t, ifd0) else { return false };
    let entries_end = ifd0 + 2 + count * ENTRY;
    // The next directory's offset follows the entries.
    if t.len() < entries_end + 4 {
        return false;
    }
    let Some(index) = (0..count).find(|i| tiff.u16(t, ifd0 + 2 + i * ENTRY) == Some(GPS_POINTER)) else {
        return false;
    };
    let entry = ifd0 + 2 + index * ENTRY;
    // Everything the GPS directory holds: its entries, and values too long to sit in them.
    let mut wipe = Vec::new();
    if let Some(gps) = tiff.u32(t, entry + 8)
        && let Some(gps_count) = tiff.u16(t, gps)
        && t.len() >= gps + 2 + gps_count * ENTRY + 4
    {
        for i in 0..gps_count {
            let e = gps + 2 + i * ENTRY;
            let size = tiff.u16(t, e + 2).and_then(type_size).zip(tiff.u32(t, e + 4)).map(|(s, n)| s * n);
            if let Some(size) = size.filter(|&s| s > 4)
                && let Some(offset) = tiff.u32(t, e + 8)
                && offset + size <= t.len()
            {
                wipe.push(offset..offset + size);
            }
        }
        wipe.push(gps..gps + 2 + gps_count * ENTRY + 4);
    }
    for range in wipe {
        t[range].fill(0);
    }
    // The later entries and the next-directory offset move up over the removed entry.
    t.copy_within(entry + ENTRY..entries_end + 4, entry);
    t[entries_end + 4 - ENTRY..entries_end + 4].fill(0);
    tiff.put_u16(t, ifd0, u16::try_from(count - 1).unwrap_or(0));
    true
}

/// The side of a person's picture, in pixels (shown at 36 and smaller, sharp on dense screens).
pub const AVATAR_SIDE: u32 = 256;

/// A person's picture made from an uploaded image: its orientation applied, the largest
/// square in its middle, scaled to `AVATAR_SIDE`, on white where it was transparent, as a
/// JPEG. `None` when it is not a picture that decodes within the limits.
pub fn avatar(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut decoder = decoder(bytes)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 || decoder.total_bytes() > MAX_DECODED_BYTES {
        return None;
    }
    let orientation = decoder.orientation().ok();
    let mut picture = DynamicImage::from_decoder(decoder).ok()?;
    if let Some(orientation) = orientation {
        picture.apply_orientation(orientation);
    }
    let side = picture.width().min(picture.height());
    let square = picture.crop_imm((picture.width() - side) / 2, (picture.height() - side) / 2, side, side);
    let small = square.resize_exact(AVATAR_SIDE, AVATAR_SIDE, image::imageops::FilterType::Lanczos3).to_rgba8();
    let mut flat = image::RgbImage::new(AVATAR_SIDE, AVATAR_SIDE);
    for (to, from) in flat.pixels_mut().zip(small.pixels()) {
        let [r, g, b, a] = from.0;
        let over_white = |c: u8| {
            let mixed = (u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255;
            u8::try_from(mixed).unwrap_or(u8::MAX)
        };
        *to = image::Rgb([over_white(r), over_white(g), over_white(b)]);
    }
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(flat)
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85))
        .ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A big-endian EXIF block: IFD0 with Orientation and a GPS pointer, a GPS directory
    /// with a latitude (three rationals, stored outside the entry).
    pub fn exif_with_gps() -> Vec<u8> {
        let mut t = Vec::new();
        t.extend_from_slice(b"MM\0*");
        t.extend_from_slice(&8u32.to_be_bytes());
        // IFD0 at 8: two entries, then the next-IFD offset 0.
        t.extend_from_slice(&2u16.to_be_bytes());
        t.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]); // Orientation = 6
        let gps_at: u32 = 8 + 2 + 2 * 12 + 4;
        t.extend_from_slice(&[0x88, 0x25, 0, 4, 0, 0, 0, 1]);
        t.extend_from_slice(&gps_at.to_be_bytes());
        t.extend_from_slice(&0u32.to_be_bytes());
        // GPS IFD: one entry, GPSLatitude, 3 RATIONALs at an offset.
        let values_at = gps_at + 2 + 12 + 4;
        t.extend_from_slice(&1u16.to_be_bytes());
        t.extend_from_slice(&[0x00, 0x02, 0, 5, 0, 0, 0, 3]);
        t.extend_from_slice(&values_at.to_be_bytes());
        t.extend_from_slice(&0u32.to_be_bytes());
        for v in [52u32, 1, 31, 1, 1234, 100] {
            t.extend_from_slice(&v.to_be_bytes());
        }
        t
    }

    fn jpeg_with(exif: &[u8]) -> Vec<u8> {
        let mut j = vec![0xFF, 0xD8, 0xFF, 0xE1];
        j.extend_from_slice(&u16::try_from(exif.len() + 8).unwrap().to_be_bytes());
        j.extend_from_slice(b"Exif\0\0");
        j.extend_from_slice(exif);
        j.extend_from_slice(&[0xFF, 0xDA, 0, 2, 1, 2, 3]);
        j
    }

    #[test]
    fn location_is_removed_and_orientation_kept() {
        let mut jpeg = jpeg_with(&exif_with_gps());
        let before = jpeg.len();
        assert!(strip_location(&mut jpeg));
        assert_eq!(jpeg.len(), before);
        let tiff = &jpeg[12..];
        assert_eq!(&tiff[8..10], &[0, 1], "one entry left in IFD0");
        assert_eq!(&tiff[10..12], &[0x01, 0x12], "orientation kept");
        assert!(!contains(tiff, &1234u32.to_be_bytes()), "latitude zeroed");
        assert!(!contains(tiff, &[0x88, 0x25]), "GPS pointer gone");
        assert!(!strip_location(&mut jpeg), "nothing left to remove");
    }

    #[test]
    fn little_endian_exif_is_cleaned_too() {
        let mut exif = b"II*\0".to_vec();
        exif.extend_from_slice(&8u32.to_le_bytes());
        exif.extend_from_slice(&1u16.to_le_bytes());
        exif.extend_from_slice(&[0x25, 0x88, 4, 0, 1, 0, 0, 0, 26, 0, 0, 0]);
        exif.extend_from_slice(&0u32.to_le_bytes());
        exif.extend_from_slice(&1u16.to_le_bytes());
        exif.extend_from_slice(&[0x06, 0x00, 5, 0, 1, 0, 0, 0, 44, 0, 0, 0]); // altitude
        exif.extend_from_slice(&0u32.to_le_bytes());
        exif.extend_from_slice(&777u32.to_le_bytes());
        exif.extend_from_slice(&1u32.to_le_bytes());
        let mut jpeg = jpeg_with(&exif);
        assert!(strip_location(&mut jpeg));
        assert!(!contains(&jpeg, &777u32.to_le_bytes()));
    }

    #[test]
    fn malformed_or_foreign_bytes_are_left_alone() {
        for bytes in [
            b"not a jpeg at all".to_vec(),
            jpeg_with(b"MM\0*\0\0\xFF\xFF"),                // IFD0 past the end
            jpeg_with(b"XX\0*\0\0\0\x08\0\x01"),            // not TIFF
            vec![0xFF, 0xD8, 0xFF, 0xE1, 0x40, 0x00, b'E'], // segment cut off
        ] {
            let mut copy = bytes.clone();
            assert!(!strip_location(&mut copy));
            assert_eq!(copy, bytes);
        }
    }

    #[test]
    fn xmp_with_location_is_blanked() {
        let xmp = b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta exif:GPSLatitude=\"52,31N\"/>";
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1];
        jpeg.extend_from_slice(&u16::try_from(xmp.len() + 2).unwrap().to_be_bytes());
        jpeg.extend_from_slice(xmp);
        assert!(strip_location(&mut jpeg));
        assert!(!contains(&jpeg, b"52,31N"));
    }

    fn png(width: u32, height: u32, alpha: bool) -> Vec<u8> {
        let picture =
            if alpha { DynamicImage::new_rgba8(width, height) } else { DynamicImage::new_rgb8(width, height) };
        let mut bytes = Vec::new();
        picture.write_with_encoder(image::codecs::png::PngEncoder::new(&mut bytes)).unwrap();
        bytes
    }

    #[test]
    fn pictures_get_sizes_and_thumbnails() {
        let big = examine(&png(1600, 900, false), "image/png").unwrap();
        assert_eq!((big.width, big.height), (1600, 900));
        let thumb = big.thumbnail.unwrap();
        assert_eq!(thumb.content_type, "image/jpeg");
        assert_eq!(dimensions(&thumb.bytes), Some((720, 405)));

        let clear = examine(&png(2000, 100, true), "image/png").unwrap();
        assert_eq!(clear.thumbnail.unwrap().content_type, "image/png");

        let small = examine(&png(64, 48, false), "image/png").unwrap();
        assert_eq!((small.width, small.height), (64, 48));
        assert!(small.thumbnail.is_none(), "small pictures are their own thumbnail");
        assert_eq!(dimensions(&png(64, 48, false)), Some((64, 48)));
    }

    #[test]
    fn what_cannot_be_decoded_is_no_picture() {
        assert!(examine(b"GIF89a but not really", "image/gif").is_none());
        assert!(examine(&png(64, 48, false)[..40], "image/png").is_none());
        assert!(dimensions(b"plain text").is_none());
    }
}
