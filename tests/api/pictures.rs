//! Pictures among shared files, through the API as a person would share them: sizes and
//! thumbnails, GIFs and small pictures shown themselves, a decompression bomb kept as a plain
//! file, and location taken out of photos before they are stored.

use reqwest::StatusCode;

use crate::channels::{channel_id, create_channel};
use crate::files::{download, header, upload};
use crate::helpers::spawn_app;
use crate::pages::Browser;

/// A picture of `width` × `height`, encoded as `format` (PNG, JPEG or GIF).
pub fn picture(width: u32, height: u32, format: image::ImageFormat) -> Vec<u8> {
    let pixels = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(pixels).write_to(&mut bytes, format).unwrap();
    bytes.into_inner()
}

pub fn png(width: u32, height: u32) -> Vec<u8> {
    picture(width, height, image::ImageFormat::Png)
}

/// A PNG whose header promises 9,000 × 9,000 RGBA pixels (324 MB decoded) and whose data,
/// 2 MB of deflate, really inflates to that: a decompression bomb.
fn png_bomb() -> Vec<u8> {
    let (width, height) = (9000u32, 9000u32);
    let raw = u64::from(1 + width * 4) * u64::from(height);
    let mut bits = Bits::default();
    bits.push(1, 1); // the last block
    bits.push(1, 2); // fixed Huffman codes
    bits.code(0x30, 8); // a literal zero…
    let copies = (raw - 1) / 258;
    for _ in 0..copies {
        bits.code(0xC5, 8); // …then "258 bytes from 1 back", over and over
        bits.code(0, 5);
    }
    for _ in 0..(raw - 1 - copies * 258) {
        bits.code(0x30, 8);
    }
    bits.code(0, 7); // end of block
    let mut zlib = vec![0x78, 0x01];
    zlib.extend_from_slice(&bits.bytes);
    let adler = ((raw % 65521) << 16) | 1;
    zlib.extend_from_slice(&u32::try_from(adler).unwrap().to_be_bytes());

    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [(b"IHDR", ihdr.as_slice()), (b"IDAT", &zlib), (b"IEND", &[])] {
        png.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        let start = png.len();
        png.extend_from_slice(kind);
        png.extend_from_slice(data);
        let crc = crc32(&png[start..]);
        png.extend_from_slice(&crc.to_be_bytes());
    }
    png
}

/// A deflate bit stream: fields least significant bit first, Huffman codes most first.
#[derive(Default)]
struct Bits {
    bytes: Vec<u8>,
    used: u32,
}

impl Bits {
    fn bit(&mut self, b: u32) {
        if self.used % 8 == 0 {
            self.bytes.push(0);
        }
        *self.bytes.last_mut().unwrap() |= ((b & 1) as u8) << (self.used % 8);
        self.used += 1;
    }
    fn push(&mut self, value: u32, n: u32) {
        (0..n).for_each(|i| self.bit(value >> i));
    }
    fn code(&mut self, code: u32, n: u32) {
        (0..n).rev().for_each(|i| self.bit(code >> i));
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    let table: Vec<u32> =
        (0..256u32).map(|n| (0..8).fold(n, |c, _| if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 })).collect();
    !bytes.iter().fold(!0u32, |c, &b| table[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8))
}

/// An EXIF block (big-endian) with Orientation 6 (turned a quarter) and a GPS directory
/// holding a latitude of 52° 31' 12.34".
fn exif_with_location() -> Vec<u8> {
    let mut t = b"MM\0*".to_vec();
    t.extend_from_slice(&8u32.to_be_bytes());
    t.extend_from_slice(&2u16.to_be_bytes());
    t.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
    t.extend_from_slice(&[0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 38]);
    t.extend_from_slice(&0u32.to_be_bytes());
    t.extend_from_slice(&1u16.to_be_bytes());
    t.extend_from_slice(&[0x00, 0x02, 0, 5, 0, 0, 0, 3, 0, 0, 0, 56]);
    t.extend_from_slice(&0u32.to_be_bytes());
    for v in [52u32, 1, 31, 1, 1234, 100] {
        t.extend_from_slice(&v.to_be_bytes());
    }
    t
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn pictures_get_their_size_and_a_thumbnail_and_gifs_and_small_ones_are_shown_themselves() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let gif = picture(900, 60, image::ImageFormat::Gif);
    let files: [(&str, &[u8]); 4] =
        [("wide.png", &png(1600, 900)), ("icon.png", &png(64, 48)), ("banner.gif", &gif), ("notes.txt", b"notes")];
    let (status, message) = upload(&app, &admin, general, "", &files).await;
    assert_eq!(status, StatusCode::CREATED, "{message}");
    let shared = message["files"].as_array().unwrap();
    let sizes: Vec<(Option<i64>, Option<i64>)> =
        shared.iter().map(|f| (f["width"].as_i64(), f["height"].as_i64())).collect();
    assert_eq!(sizes, [(Some(1600), Some(900)), (Some(64), Some(48)), (Some(900), Some(60)), (None, None)]);
    let thumbnails: Vec<bool> = shared.iter().map(|f| f["thumbnail_url"].is_string()).collect();
    assert_eq!(thumbnails, [true, false, false, false], "only a large still picture gets a thumbnail");

    let thumb = shared[0]["thumbnail_url"].as_str().unwrap();
    assert_eq!(thumb, format!("{}/thumbnail", shared[0]["url"].as_str().unwrap()));
    let (status, headers, bytes) = download(&app, &bob, thumb, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-type"), "image/jpeg");
    assert!(header(&headers, "content-disposition").starts_with("inline;"));
    assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
    let small = image::load_from_memory(&bytes).unwrap();
    assert_eq!((small.width(), small.height()), (720, 405));

    let text = format!("{}/thumbnail", shared[3]["url"].as_str().unwrap());
    let (status, _, _) = download(&app, &admin, &text, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a file that is no picture has no thumbnail");
    let secret = create_channel(&app, &admin, "secret", true).await;
    let (_, private) = upload(&app, &admin, secret, "", &[("plan.png", &png(1000, 1000))]).await;
    let private_thumb = private["files"][0]["thumbnail_url"].as_str().unwrap();
    assert_eq!(download(&app, &bob, private_thumb, None).await.0, StatusCode::NOT_FOUND, "thumbnails check membership");

    let browser = Browser::new(&app);
    browser.sign_in("admin").await;
    let page = browser.get(&format!("/w/acme/c/{general}")).await;
    assert!(page.body.contains(&format!("<img src=\"{thumb}\"")), "the message shows the thumbnail");
    assert!(page.body.contains("width=\"360\" height=\"203\""), "at a size known before it loads");
    let gif_url = shared[2]["url"].as_str().unwrap();
    assert!(page.body.contains(&format!("<img src=\"{gif_url}\"")), "a GIF is shown itself, so that it animates");
}

#[tokio::test]
async fn a_decompression_bomb_fails_cleanly_and_stays_a_downloadable_file() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let bomb = png_bomb();
    let (status, message) = upload(&app, &admin, general, "careful", &[("bomb.png", &bomb)]).await;
    assert_eq!(status, StatusCode::CREATED, "{message}");
    let file = &message["files"][0];
    assert_eq!(file["content_type"], "image/png");
    assert!(file["width"].is_null() && file["thumbnail_url"].is_null(), "not decoded: {file}");
    let (status, _, bytes) = download(&app, &admin, file["url"].as_str().unwrap(), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes.len(), bomb.len());
    let browser = Browser::new(&app);
    browser.sign_in("admin").await;
    let page = browser.get(&format!("/w/acme/c/{general}")).await;
    assert!(page.body.contains("file file-file") && !page.body.contains("<img src=\"/files/"), "shown as a card");
}

#[tokio::test]
async fn photos_lose_their_location_before_they_are_stored_and_keep_their_orientation() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let plain = picture(32, 16, image::ImageFormat::Jpeg);
    let exif = exif_with_location();
    let mut photo = plain[..2].to_vec();
    photo.extend_from_slice(&[0xFF, 0xE1]);
    photo.extend_from_slice(&u16::try_from(exif.len() + 8).unwrap().to_be_bytes());
    photo.extend_from_slice(b"Exif\0\0");
    photo.extend_from_slice(&exif);
    photo.extend_from_slice(&plain[2..]);
    assert!(contains(&photo, &1234u32.to_be_bytes()));

    let (status, message) = upload(&app, &admin, general, "from my phone", &[("IMG_0001.jpg", &photo)]).await;
    assert_eq!(status, StatusCode::CREATED, "{message}");
    let file = &message["files"][0];
    assert_eq!(file["content_type"], "image/jpeg");
    assert_eq!((file["width"].as_i64(), file["height"].as_i64()), (Some(16), Some(32)), "turned as the photo says");
    let (_, headers, stored) = download(&app, &admin, file["url"].as_str().unwrap(), None).await;
    assert_eq!(stored.len(), photo.len(), "cleaned in place");
    assert!(!contains(&stored, &1234u32.to_be_bytes()) && !contains(&stored, &[0x88, 0x25]), "no location");
    assert!(contains(&stored, &[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6]), "the orientation stays");
    assert_eq!(stored[photo.len() - plain.len() + 2..], plain[2..], "the picture itself is untouched");
    assert!(image::load_from_memory(&stored).is_ok());
    use sha2::Digest;
    let sha: String = sha2::Sha256::digest(&stored).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(header(&headers, "etag"), format!("\"{sha}\""), "the hash is of what is stored");
}
