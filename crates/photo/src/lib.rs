//! Photos cadres attach to notices come from phones and cameras via a USB stick. Their
//! files carry EXIF: GPS position, camera serial, time. A public notice must carry none
//! of it, so every photo is decoded, turned upright by its EXIF orientation, shrunk and
//! encoded afresh; the new file holds pixels and nothing else.
#![forbid(unsafe_code)]

use image::{DynamicImage, ImageDecoder, ImageReader};
use std::io::Cursor;

/// Longest side of a published photo: sharp on a 1080p kiosk, small on the wire.
pub const MAX_SIDE: u32 = 1600;
/// Longest side of a thumbnail for picking photos on the kiosk.
pub const THUMB_SIDE: u32 = 240;
/// Files larger than this are refused before decoding (a 48 MP phone JPEG is ~15 MB).
pub const MAX_FILE_BYTES: usize = 25 * 1024 * 1024;
/// Decoding limit on pixels, against decompression bombs.
const MAX_PIXELS: u64 = 100_000_000;

#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error("照片文件太大（超过 25 MB）")]
    TooLarge,
    #[error("不是能识别的照片（只支持 JPG、PNG）")]
    NotAPhoto,
    #[error("照片尺寸太大")]
    TooManyPixels,
    #[error("照片处理失败：{0}")]
    Encode(String),
}

/// A photo ready to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

fn decode(bytes: &[u8]) -> Result<DynamicImage, PhotoError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(PhotoError::TooLarge);
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| PhotoError::NotAPhoto)?;
    if !matches!(
        reader.format(),
        Some(image::ImageFormat::Jpeg | image::ImageFormat::Png)
    ) {
        return Err(PhotoError::NotAPhoto);
    }
    let mut decoder = reader.into_decoder().map_err(|_| PhotoError::NotAPhoto)?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(PhotoError::TooManyPixels);
    }
    // Read before decoding consumes the decoder; a photo without EXIF is upright.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|_| PhotoError::NotAPhoto)?;
    img.apply_orientation(orientation);
    Ok(img)
}

fn encode(img: &DynamicImage, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let rgb = img.to_rgb8();
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
    rgb.write_with_encoder(encoder)
        .map_err(|e| PhotoError::Encode(e.to_string()))?;
    Ok(out)
}

fn shrink(img: DynamicImage, side: u32) -> DynamicImage {
    if img.width() <= side && img.height() <= side {
        img
    } else {
        img.resize(side, side, image::imageops::FilterType::Triangle)
    }
}

/// Decodes, turns upright, shrinks to [`MAX_SIDE`] and re-encodes as a bare JPEG.
pub fn prepare(bytes: &[u8]) -> Result<Prepared, PhotoError> {
    let img = shrink(decode(bytes)?, MAX_SIDE);
    Ok(Prepared {
        width: img.width(),
        height: img.height(),
        jpeg: encode(&img, 85)?,
    })
}

/// A small JPEG for choosing photos on screen.
pub fn thumbnail(bytes: &[u8]) -> Result<Vec<u8>, PhotoError> {
    let img = decode(bytes)?.thumbnail(THUMB_SIDE, THUMB_SIDE);
    encode(&img, 75)
}

/// Test fixtures shared with the cross-crate tests.
pub mod sample {
    /// A JPEG as a phone writes it: an APP1 EXIF segment (orientation 6 = rotate 90°
    /// clockwise, and a GPS IFD with GPSLatitudeRef "N") right after the start marker.
    pub fn phone_jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, _| image::Rgb([(x % 256) as u8, 80, 160]));
        let mut plain = Vec::new();
        // Encoding an in-memory RGB buffer into a Vec cannot fail.
        let _ =
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 90).encode_image(&img);
        // TIFF (little endian) with IFD0: Orientation=6 and a GPS IFD pointer, then a
        // GPS IFD with GPSLatitudeRef = "N".
        let mut tiff: Vec<u8> = b"II*\0".to_vec();
        tiff.extend(8u32.to_le_bytes());
        tiff.extend(2u16.to_le_bytes()); // two entries
        tiff.extend([0x12, 0x01, 3, 0]); // 0x0112 Orientation, SHORT
        tiff.extend(1u32.to_le_bytes());
        tiff.extend([6, 0, 0, 0]);
        tiff.extend([0x25, 0x88, 4, 0]); // 0x8825 GPS IFD, LONG
        tiff.extend(1u32.to_le_bytes());
        tiff.extend(38u32.to_le_bytes());
        tiff.extend(0u32.to_le_bytes()); // no next IFD
        tiff.extend(1u16.to_le_bytes()); // GPS IFD at offset 38: one entry
        tiff.extend([0x01, 0x00, 2, 0]); // GPSLatitudeRef, ASCII
        tiff.extend(2u32.to_le_bytes());
        tiff.extend(*b"N\0\0\0");
        tiff.extend(0u32.to_le_bytes());
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend(tiff);
        let mut out = plain[..2].to_vec();
        out.extend([0xFF, 0xE1]);
        out.extend(((app1.len() + 2) as u16).to_be_bytes());
        out.extend(&app1);
        out.extend(&plain[2..]);
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use sample::phone_jpeg;

    #[test]
    fn exif_is_applied_then_gone() {
        let src = phone_jpeg(400, 200);
        assert!(src.windows(4).any(|w| w == b"Exif"));
        let p = prepare(&src).unwrap();
        // Orientation 6 turned the landscape picture upright (portrait).
        assert_eq!((p.width, p.height), (200, 400));
        assert!(
            !p.jpeg.windows(4).any(|w| w == b"Exif"),
            "EXIF left in output"
        );
        assert!(p.jpeg.starts_with(&[0xFF, 0xD8]));
    }

    #[test]
    fn big_photos_shrink_and_thumbnails_are_small() {
        let src = phone_jpeg(3200, 2400);
        let p = prepare(&src).unwrap();
        assert_eq!(p.width.max(p.height), MAX_SIDE);
        let t = thumbnail(&src).unwrap();
        let decoded = image::load_from_memory(&t).unwrap();
        assert!(decoded.width() <= THUMB_SIDE && decoded.height() <= THUMB_SIDE);
    }

    #[test]
    fn not_photos_are_refused_in_chinese() {
        let err = prepare(b"%PDF-1.4 not a photo").unwrap_err();
        assert_eq!(err.to_string(), "不是能识别的照片（只支持 JPG、PNG）");
        let err = prepare(&vec![0u8; MAX_FILE_BYTES + 1]).unwrap_err();
        assert!(matches!(err, PhotoError::TooLarge));
    }
}
