//! What an uploaded file is, judged by its first bytes, and the cleaned copy that is kept.
//!
//! Images are decoded and re-encoded: the new file holds only pixels, so EXIF (GPS above all),
//! XMP, comments and any bytes hidden after the image are gone. The EXIF orientation is applied
//! to the pixels first, so a photo taken sideways still shows upright. The pixel cap is checked
//! against the dimensions in the header before anything is decoded, so a small file claiming a
//! huge image (a decompression bomb) is refused without allocating for it. PDFs are kept as
//! sent (their own metadata is not rewritten).

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, metadata::Orientation};

/// The longest side of a thumbnail, in pixels.
pub const THUMBNAIL_SIDE: u32 = 320;

/// The content type of every thumbnail.
pub const THUMBNAIL_TYPE: &str = "image/jpeg";

/// The kinds of file accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Jpeg,
    Png,
    Webp,
    Pdf,
}

impl Kind {
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Webp => "image/webp",
            Kind::Pdf => "application/pdf",
        }
    }

    fn image_format(self) -> Option<ImageFormat> {
        match self {
            Kind::Jpeg => Some(ImageFormat::Jpeg),
            Kind::Png => Some(ImageFormat::Png),
            Kind::Webp => Some(ImageFormat::WebP),
            Kind::Pdf => None,
        }
    }
}

/// The kind of file by its magic bytes, whatever its name or declared type.
pub fn sniff(bytes: &[u8]) -> Option<Kind> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Kind::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Kind::Png)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(Kind::Webp)
    } else if bytes.starts_with(b"%PDF-") {
        Some(Kind::Pdf)
    } else {
        None
    }
}

/// Why a file was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum MediaError {
    /// Not a JPEG, PNG, WebP or PDF.
    Unsupported,
    /// More pixels than allowed.
    TooManyPixels { width: u32, height: u32 },
    /// Claims to be an image but cannot be read as one.
    Undecodable,
}

/// The file to keep, its dimensions and its thumbnail (images only).
#[derive(Debug)]
pub struct Processed {
    pub kind: Kind,
    pub body: Vec<u8>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub thumbnail: Option<Vec<u8>>,
}

/// Judges `bytes` and makes the copy to keep. CPU-bound: call it off the async workers.
pub fn process(bytes: Vec<u8>, max_pixels: u64) -> Result<Processed, MediaError> {
    let kind = sniff(&bytes).ok_or(MediaError::Unsupported)?;
    let Some(format) = kind.image_format() else {
        return Ok(Processed {
            kind,
            body: bytes,
            width: None,
            height: None,
            thumbnail: None,
        });
    };
    // Only the header is read here; the decoders' allocation limits would refuse a huge claim
    // as undecodable, when it is an image too large.
    let mut probe = ImageReader::with_format(Cursor::new(&bytes), format);
    probe.no_limits();
    let (width, height) = probe.into_dimensions().map_err(|_| MediaError::Undecodable)?;
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(MediaError::TooManyPixels { width, height });
    }
    let mut reader = ImageReader::with_format(Cursor::new(&bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| MediaError::Undecodable)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|_| MediaError::Undecodable)?;
    image.apply_orientation(orientation);
    let body = encode(&image, kind)?;
    let thumbnail = encode(&image.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE), Kind::Jpeg)?;
    Ok(Processed {
        kind,
        body,
        width: Some(image.width()),
        height: Some(image.height()),
        thumbnail: Some(thumbnail),
    })
}

/// The pixels alone, in the file's own format (JPEG at quality 90, PNG and WebP lossless).
fn encode(image: &DynamicImage, kind: Kind) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    let written = match kind {
        Kind::Jpeg => {
            let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
            DynamicImage::ImageRgb8(image.to_rgb8()).write_with_encoder(encoder)
        }
        Kind::Png | Kind::Webp => {
            let format = if kind == Kind::Png {
                ImageFormat::Png
            } else {
                ImageFormat::WebP
            };
            let pixels = if image.color().has_alpha() {
                DynamicImage::ImageRgba8(image.to_rgba8())
            } else {
                DynamicImage::ImageRgb8(image.to_rgb8())
            };
            pixels.write_to(&mut Cursor::new(&mut out), format)
        }
        Kind::Pdf => return Err(MediaError::Unsupported),
    };
    written.map_err(|_| MediaError::Undecodable)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_judged_by_their_first_bytes() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(Kind::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(Kind::Png));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(Kind::Webp));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some(Kind::Pdf));
        assert_eq!(sniff(b"<!doctype html>"), None);
        assert_eq!(sniff(b"PK\x03\x04"), None);
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt "), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn a_pdf_is_kept_as_sent() {
        let pdf = b"%PDF-1.4\n%%EOF\n".to_vec();
        let processed = process(pdf.clone(), 10).unwrap();
        assert_eq!(processed.body, pdf);
        assert!(processed.thumbnail.is_none());
    }

    #[test]
    fn a_truncated_image_is_undecodable() {
        assert_eq!(
            process(vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10], 1_000).unwrap_err(),
            MediaError::Undecodable
        );
    }
}
