//! Uploads: accepted by content, cleaned of metadata, capped in size and pixels, attached once,
//! and downloaded only by those who may see what they belong to. With `TEST_S3_ENDPOINT` set,
//! the same tests run against that S3-compatible server (bucket `TEST_S3_BUCKET`, default
//! `wenming-test`) instead of the local folder.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::orders::{Person, World, account, order_body, world};

/// The store settings of this run: S3 when `TEST_S3_ENDPOINT` is set, else the default.
fn store_env() -> Vec<(String, String)> {
    let Some(endpoint) = std::env::var("TEST_S3_ENDPOINT").ok().filter(|e| !e.is_empty()) else {
        return Vec::new();
    };
    let bucket = std::env::var("TEST_S3_BUCKET").unwrap_or_else(|_| "wenming-test".into());
    [
        ("UPLOAD_STORE", "s3".to_owned()),
        ("S3_ENDPOINT", endpoint),
        ("S3_BUCKET", bucket),
        ("S3_REGION", "us-east-1".to_owned()),
        ("S3_ACCESS_KEY_ID", "test".to_owned()),
        ("S3_SECRET_ACCESS_KEY", "test".to_owned()),
        ("S3_ALLOW_HTTP", "true".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

async fn spawn(extra: &[(&str, &str)]) -> TestApp {
    let store = store_env();
    let mut all: Vec<(&str, &str)> = store.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    all.extend_from_slice(extra);
    spawn_app_with(&all).await
}

/// A multipart form with one field `file`.
fn form(bytes: &[u8], filename: &str, content_type: &str) -> (String, Vec<u8>) {
    let boundary = "----wenming-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload_at(app: &TestApp, base: &str, token: &str, bytes: &[u8], filename: &str) -> Reply {
    let (content_type, body) = form(bytes, filename, "application/octet-stream");
    let response = app
        .client
        .post(app.url_at(base, "/uploads"))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    into_reply(response).await
}

async fn upload(app: &TestApp, who: &Person, bytes: &[u8], filename: &str) -> Reply {
    upload_at(app, &app.address, &who.token, bytes, filename).await
}

/// Uploads and returns the new id.
async fn uploaded(app: &TestApp, who: &Person, bytes: &[u8], filename: &str) -> String {
    let reply = upload(app, who, bytes, filename).await;
    reply.assert_status(201)["id"].as_str().unwrap().to_owned()
}

struct Download {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    bytes: Vec<u8>,
}

impl Download {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

async fn download_at(app: &TestApp, base: &str, token: &str, path: &str) -> Download {
    let response = app
        .client
        .get(app.url_at(base, path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    Download {
        status: response.status(),
        headers: response.headers().clone(),
        bytes: response.bytes().await.unwrap().to_vec(),
    }
}

async fn download(app: &TestApp, who: &Person, path: &str) -> Download {
    download_at(app, &app.address, &who.token, path).await
}

fn encoded(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    image.write_to(&mut Cursor::new(&mut out), format).unwrap();
    out
}

fn gradient(width: u32, height: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 128])
    }))
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let image = RgbaImage::from_fn(width, height, |x, y| Rgba([(x % 256) as u8, (y % 256) as u8, 60, 200]));
    encoded(DynamicImage::ImageRgba8(image), ImageFormat::Png)
}

fn webp() -> Vec<u8> {
    encoded(gradient(40, 30), ImageFormat::WebP)
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// IFD0's pointer to the GPS IFD, as it appears in the EXIF block built below.
const GPS_POINTER_ENTRY: [u8; 12] = [0x88, 0x25, 0, 4, 0, 0, 0, 1, 0, 0, 0, 38];
/// The GPS IFD's latitude reference entry (`N`).
const GPS_LATITUDE_REF_ENTRY: [u8; 12] = [0, 1, 0, 2, 0, 0, 0, 2, b'N', 0, 0, 0];

/// An APP1 EXIF segment: orientation 6 (rotate 90° clockwise) and a GPS IFD with a latitude.
fn exif_segment() -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"MM\0\x2A\0\0\0\x08");
    // IFD0 at 8: two entries, then the next-IFD offset (none).
    tiff.extend_from_slice(&[0, 2]);
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
    tiff.extend_from_slice(&GPS_POINTER_ENTRY);
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    assert_eq!(tiff.len(), 38);
    // GPS IFD at 38: latitude ref and latitude (three rationals at 68).
    tiff.extend_from_slice(&[0, 2]);
    tiff.extend_from_slice(&GPS_LATITUDE_REF_ENTRY);
    tiff.extend_from_slice(&[0, 2, 0, 5, 0, 0, 0, 3, 0, 0, 0, 68]);
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    assert_eq!(tiff.len(), 68);
    for (numerator, denominator) in [(30u32, 1u32), (35, 1), (1234, 100)] {
        tiff.extend_from_slice(&numerator.to_be_bytes());
        tiff.extend_from_slice(&denominator.to_be_bytes());
    }
    let mut segment = vec![0xFF, 0xE1];
    let length = u16::try_from(2 + 6 + tiff.len()).unwrap();
    segment.extend_from_slice(&length.to_be_bytes());
    segment.extend_from_slice(b"Exif\0\0");
    segment.extend_from_slice(&tiff);
    segment
}

/// A 64×48 JPEG carrying the EXIF segment right after its start marker.
fn jpeg_with_gps() -> Vec<u8> {
    let plain = encoded(gradient(64, 48), ImageFormat::Jpeg);
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&exif_segment());
    out.extend_from_slice(&plain[2..]);
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG whose header claims 100000×100000 pixels, with almost no pixel data behind it.
fn png_bomb_header() -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = b"IHDR".to_vec();
    chunk.extend_from_slice(&100_000u32.to_be_bytes());
    chunk.extend_from_slice(&100_000u32.to_be_bytes());
    chunk.extend_from_slice(&[8, 2, 0, 0, 0]);
    out.extend_from_slice(&13u32.to_be_bytes());
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&crc32(&chunk).to_be_bytes());
    // A token of compressed data (the decoder reads up to the first IDAT for the header).
    let mut data = b"IDAT".to_vec();
    data.extend_from_slice(&[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    out.extend_from_slice(&8u32.to_be_bytes());
    out.extend_from_slice(&data);
    out.extend_from_slice(&crc32(&data).to_be_bytes());
    let end = b"IEND";
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(end);
    out.extend_from_slice(&crc32(end).to_be_bytes());
    out
}

#[tokio::test]
async fn a_jpeg_is_stored_upright_without_its_exif_and_gps() {
    let app = spawn(&[]).await;
    let w = world(&app).await;
    let original = jpeg_with_gps();
    assert!(contains(&original, b"Exif") && contains(&original, &GPS_LATITUDE_REF_ENTRY));

    let reply = upload(&app, &w.resident, &original, "photo.jpg").await;
    let body = reply.assert_status(201).clone();
    assert_eq!(body["content_type"], "image/jpeg");
    // Orientation 6 applied: the 64×48 picture is stored 48 wide and 64 high.
    assert_eq!((body["width"].as_i64(), body["height"].as_i64()), (Some(48), Some(64)));
    let id = body["id"].as_str().unwrap();
    assert_eq!(reply.headers["location"], format!("/api/v1/uploads/{id}").as_str());
    assert_eq!(body["url"], format!("/api/v1/uploads/{id}"));

    let file = download(&app, &w.resident, &format!("/uploads/{id}")).await;
    assert_eq!(file.status, 200);
    assert_eq!(file.header("content-type"), "image/jpeg");
    assert!(file.bytes.starts_with(&[0xFF, 0xD8, 0xFF]));
    assert!(!contains(&file.bytes, b"Exif"), "the EXIF block is gone");
    assert!(!contains(&file.bytes, &GPS_POINTER_ENTRY), "the GPS pointer is gone");
    assert!(
        !contains(&file.bytes, &GPS_LATITUDE_REF_ENTRY),
        "the GPS latitude is gone"
    );
    assert_eq!(body["bytes"].as_u64(), Some(file.bytes.len() as u64));
    let stored = image::load_from_memory(&file.bytes).unwrap();
    assert_eq!((stored.width(), stored.height()), (48, 64));
}

#[tokio::test]
async fn png_webp_and_pdf_are_accepted_by_content_whatever_their_names() {
    let app = spawn(&[]).await;
    let w = world(&app).await;
    for (bytes, name, content_type, disposition) in [
        (png(30, 20), "a.jpg", "image/png", "inline"),
        (webp(), "b.png", "image/webp", "inline"),
        (PDF.to_vec(), "c.jpg", "application/pdf", "attachment"),
    ] {
        let reply = upload(&app, &w.resident, &bytes, name).await;
        let body = reply.assert_status(201).clone();
        assert_eq!(body["content_type"], content_type, "{name}");
        let file = download(&app, &w.resident, body["url"].as_str().unwrap()).await;
        assert_eq!(file.status, 200);
        assert_eq!(file.header("content-type"), content_type);
        assert!(file.header("content-disposition").starts_with(disposition), "{name}");
        assert_eq!(file.header("x-content-type-options"), "nosniff");
        assert!(file.header("cache-control").starts_with("private"));
        if content_type == "application/pdf" {
            assert_eq!(file.bytes, PDF);
            assert!(body["thumbnail_url"].is_null());
            assert!(body["width"].is_null());
        } else {
            let decoded = image::load_from_memory(&file.bytes).unwrap();
            assert_eq!(Some(i64::from(decoded.width())), body["width"].as_i64());
        }
    }
}

#[tokio::test]
async fn files_that_are_not_images_or_pdfs_are_refused_with_415_whatever_their_names() {
    let app = spawn(&[]).await;
    let w = world(&app).await;
    let cases: [(&[u8], &str); 4] = [
        (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "photo.jpg"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00fake zip", "photo.jpg"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00", "photo.png"),
        (b"just text", "doc.pdf"),
    ];
    for (bytes, name) in cases {
        upload(&app, &w.resident, bytes, name)
            .await
            .assert_problem(415, "UNSUPPORTED_MEDIA_TYPE");
    }
    // A JSON body instead of a form.
    app.post("/uploads", w.resident.t(), json!({"file": "x"}))
        .await
        .assert_problem(415, "UNSUPPORTED_MEDIA_TYPE");
}

#[tokio::test]
async fn a_file_over_the_size_cap_is_refused_with_413_while_streaming() {
    let app = spawn(&[("UPLOAD_MAX_BYTES", "2048")]).await;
    let w = world(&app).await;
    let mut big = PDF.to_vec();
    big.resize(2049, b' ');
    upload(&app, &w.resident, &big, "big.pdf")
        .await
        .assert_problem(413, "UPLOAD_TOO_LARGE");
    let mut fits = PDF.to_vec();
    fits.resize(2048, b' ');
    upload(&app, &w.resident, &fits, "fits.pdf").await.assert_status(201);
    // Far over the cap: refused from the declared length before the body is read.
    let huge = vec![b'%'; 200_000];
    upload(&app, &w.resident, &huge, "huge.pdf")
        .await
        .assert_problem(413, "UPLOAD_TOO_LARGE");
}

#[tokio::test]
async fn an_image_claiming_too_many_pixels_is_refused_before_decoding() {
    let app = spawn(&[]).await;
    let w = world(&app).await;
    let reply = upload(&app, &w.resident, &png_bomb_header(), "bomb.png").await;
    reply.assert_problem(422, "IMAGE_TOO_LARGE");
    assert_eq!(reply.body["errors"][0]["field"], "file");

    let small_cap = spawn(&[("UPLOAD_MAX_PIXELS", "1000")]).await;
    let w = world(&small_cap).await;
    upload(&small_cap, &w.resident, &png(40, 30), "ok.png")
        .await
        .assert_problem(422, "IMAGE_TOO_LARGE");
    upload(&small_cap, &w.resident, &png(40, 25), "ok.png")
        .await
        .assert_status(201);
}

#[tokio::test]
async fn a_broken_image_is_422_and_a_form_without_a_file_is_422() {
    let app = spawn(&[]).await;
    let w = world(&app).await;
    let mut broken = png(30, 20);
    broken.truncate(40);
    upload(&app, &w.resident, &broken, "broken.png")
        .await
        .assert_problem(422, "IMAGE_UNDECODABLE");

    let boundary = "b0undary";
    let body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--{boundary}--\r\n");
    let response = app
        .client
        .post(app.url("/uploads"))
        .bearer_auth(&w.resident.token)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    into_reply(response).await.assert_problem(422, "VALIDATION_FAILED");
}

#[tokio::test]
async fn uploading_and_downloading_need_a_token() {
    let app = spawn(&[]).await;
    let (content_type, body) = form(PDF, "a.pdf", "application/pdf");
    let response = app
        .client
        .post(app.url("/uploads"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(app.get("/uploads/anything", None).await.status, 401);
}

#[tokio::test]
async fn the_thumbnail_is_a_smaller_decodable_jpeg() {
    let app = spawn(&[]).await;
    let w = world(&app).await;
    let photo = encoded(gradient(800, 600), ImageFormat::Jpeg);
    let reply = upload(&app, &w.resident, &photo, "big.jpg").await;
    let body = reply.assert_status(201).clone();
    let thumbnail_url = body["thumbnail_url"].as_str().unwrap();
    let thumb = download(&app, &w.resident, thumbnail_url).await;
    assert_eq!(thumb.status, 200);
    assert_eq!(thumb.header("content-type"), "image/jpeg");
    let decoded = image::load_from_memory_with_format(&thumb.bytes, ImageFormat::Jpeg).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (320, 240));
    let original = download(&app, &w.resident, body["url"].as_str().unwrap()).await;
    assert!(thumb.bytes.len() < original.bytes.len());

    let pdf = uploaded(&app, &w.resident, PDF, "a.pdf").await;
    let none = download(&app, &w.resident, &format!("/uploads/{pdf}?variant=thumbnail")).await;
    assert_eq!(none.status, 404);
}

async fn resident_orders(app: &TestApp, who: &Person) -> u64 {
    app.get("/orders", who.t()).await.assert_status(200)["total"]
        .as_u64()
        .unwrap()
}

fn with_photos(w: &World, ids: &[&str]) -> Value {
    let mut body = order_body(w.platform);
    body["photo_ids"] = json!(ids);
    body
}

#[tokio::test]
async fn order_photos_are_seen_by_the_order_s_people_and_no_one_else() {
    let app = spawn(&[]).await;
    let w = world(&app).await;
    let photo = uploaded(&app, &w.resident, &jpeg_with_gps(), "p.jpg").await;
    let path = format!("/uploads/{photo}");

    // Unattached: its owner only.
    assert_eq!(download(&app, &w.resident, &path).await.status, 200);
    assert_eq!(download(&app, &w.secretary, &path).await.status, 404);

    let reply = app.post("/orders", w.resident.t(), with_photos(&w, &[&photo])).await;
    let order = reply.assert_status(201).clone();
    assert_eq!(order["photos"][0]["id"], photo.as_str());
    assert_eq!(order["photos"][0]["url"], format!("/api/v1/uploads/{photo}"));
    assert_eq!(order["photos"][0]["content_type"], "image/jpeg");
    assert!(order["photos"][0]["thumbnail_url"].as_str().is_some());
    assert_eq!(order["completion_photos"], json!([]));
    let id = order["id"].as_i64().unwrap();

    // Staff of the station see the order, and so its photo.
    assert_eq!(download(&app, &w.secretary, &path).await.status, 200);
    let thumb = download(&app, &w.secretary, &format!("{path}?variant=thumbnail")).await;
    assert_eq!(thumb.status, 200);

    app.post(
        &format!("/orders/{id}/dispatch"),
        w.secretary.t(),
        json!({"mode": "open"}),
    )
    .await
    .assert_status(200);
    app.post(&format!("/orders/{id}/accept"), w.volunteer.t(), json!({}))
        .await
        .assert_status(200);
    assert_eq!(download(&app, &w.volunteer, &path).await.status, 200);

    // A volunteer who did not take it, a resident of the station and one of another station.
    let other_station = app.create_station(&format!("西湖站{}", unique_phone())).await;
    let strangers = [
        w.other_volunteer.clone(),
        account(&app, Some(w.station), &[]).await,
        account(&app, Some(other_station), &["secretary"]).await,
    ];
    for stranger in &strangers {
        let refused = download(&app, stranger, &path).await;
        assert_eq!(refused.status, 404);
        assert!(!contains(&refused.bytes, b"\xFF\xD8\xFF"));
        assert_eq!(download(&app, stranger, "/uploads/no-such-id").await.status, 404);
    }
    let listed = app.get(&format!("/orders/{id}"), w.volunteer.t()).await;
    assert_eq!(listed.assert_status(200)["photos"][0]["id"], photo.as_str());
}

#[tokio::test]
async fn completion_photos_are_attached_by_the_volunteer_and_seen_by_the_resident() {
    let app = spawn(&[]).await;
    let w = world(&app).await;
    let id = crate::orders::order_in(&app, &w, "open").await;
    app.post(&format!("/orders/{id}/accept"), w.volunteer.t(), json!({}))
        .await
        .assert_status(200);
    app.post(&format!("/orders/{id}/start"), w.volunteer.t(), json!({}))
        .await
        .assert_status(200);
    let done = uploaded(&app, &w.volunteer, &webp(), "done.webp").await;
    let foreign = uploaded(&app, &w.resident, PDF, "r.pdf").await;
    let complete = |ids: Vec<&str>| json!({"summary": "已送药上门", "service_minutes": 60, "photo_ids": ids});

    // Someone else's upload: refused, and the order is still in service.
    app.post(
        &format!("/orders/{id}/complete"),
        w.volunteer.t(),
        complete(vec![&done, &foreign]),
    )
    .await
    .assert_problem(422, "UPLOAD_UNKNOWN");
    let order = app.get(&format!("/orders/{id}"), w.resident.t()).await;
    assert_eq!(order.assert_status(200)["status"], "in_service");

    let reply = app
        .post(
            &format!("/orders/{id}/complete"),
            w.volunteer.t(),
            complete(vec![&done]),
        )
        .await;
    let order = reply.assert_status(200).clone();
    assert_eq!(order["completion_photos"][0]["id"], done.as_str());
    assert_eq!(order["photos"], json!([]));
    let file = download(&app, &w.resident, &format!("/uploads/{done}")).await;
    assert_eq!(file.status, 200);
    assert_eq!(file.header("content-type"), "image/webp");
    assert_eq!(
        download(&app, &w.other_volunteer, &format!("/uploads/{done}"))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn an_upload_is_attached_once_and_only_by_its_owner_and_a_refusal_creates_nothing() {
    let app = spawn(&[]).await;
    let w = world(&app).await;
    let photo = uploaded(&app, &w.resident, &png(10, 10), "p.png").await;
    app.post("/orders", w.resident.t(), with_photos(&w, &[&photo]))
        .await
        .assert_status(201);
    assert_eq!(resident_orders(&app, &w.resident).await, 1);

    app.post("/orders", w.resident.t(), with_photos(&w, &[&photo]))
        .await
        .assert_problem(409, "UPLOAD_ALREADY_ATTACHED");
    assert_eq!(resident_orders(&app, &w.resident).await, 1);

    let another = account(&app, Some(w.station), &[]).await;
    let mine = uploaded(&app, &another, &png(10, 10), "q.png").await;
    for ids in [vec![photo.as_str()], vec![mine.as_str(), "not-an-upload"]] {
        let reply = app.post("/orders", another.t(), with_photos(&w, &ids)).await;
        reply.assert_problem(422, "UPLOAD_UNKNOWN");
        assert_eq!(reply.body["errors"][0]["field"], "photo_ids");
    }
    assert_eq!(resident_orders(&app, &another).await, 0);
    // The refused request attached nothing: the upload is still free to use.
    app.post("/orders", another.t(), with_photos(&w, &[&mine, &mine]))
        .await
        .assert_status(201);

    let ten: Vec<String> = (0..10).map(|i| format!("id-{i}")).collect();
    let ten: Vec<&str> = ten.iter().map(String::as_str).collect();
    app.post("/orders", another.t(), with_photos(&w, &ten))
        .await
        .assert_problem(422, "VALIDATION_FAILED");
}

#[tokio::test]
async fn two_orders_racing_for_one_upload_attach_it_once() {
    let app = spawn(&[]).await;
    let w = world(&app).await;
    let photo = uploaded(&app, &w.resident, &png(10, 10), "p.png").await;
    let body = with_photos(&w, &[&photo]);
    let replies = futures::future::join_all((0..4).map(|_| app.post("/orders", w.resident.t(), body.clone()))).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    assert_eq!(created, 1, "{replies:?}");
    for reply in replies.iter().filter(|r| r.status != 201) {
        reply.assert_problem(409, "UPLOAD_ALREADY_ATTACHED");
    }
    assert_eq!(resident_orders(&app, &w.resident).await, 1);
}

#[tokio::test]
async fn a_second_server_process_on_the_same_store_serves_the_file() {
    let app = spawn(&[]).await;
    let w = world(&app).await;
    let photo = uploaded(&app, &w.resident, &png(50, 40), "p.png").await;
    let store = store_env();
    let extra: Vec<(&str, &str)> = store.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let other = app.spawn_process(&extra).await;
    let file = download_at(&app, &other.address, &w.resident.token, &format!("/uploads/{photo}")).await;
    assert_eq!(file.status, 200);
    assert_eq!(file.header("content-type"), "image/png");
    let decoded = image::load_from_memory(&file.bytes).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (50, 40));

    // And the other way round.
    let pdf = upload_at(&app, &other.address, &w.resident.token, PDF, "a.pdf").await;
    let url = pdf.assert_status(201)["url"].as_str().unwrap().to_owned();
    assert_eq!(download(&app, &w.resident, &url).await.bytes, PDF);
}

#[tokio::test]
async fn announcement_attachments_follow_the_announcement_s_readers() {
    let app = spawn(&[]).await;
    let w = world(&app).await;
    let file = uploaded(&app, &w.secretary, PDF, "notice.pdf").await;
    let scheduled_file = uploaded(&app, &w.secretary, &png(20, 20), "later.png").await;
    let announcement = |ids: Vec<&str>, publish_at: Option<&str>| {
        json!({"title": "学习通知", "body": "周六集中学习", "category": "learning",
               "publish_at": publish_at, "attachment_ids": ids})
    };
    let reply = app
        .post("/announcements", w.secretary.t(), announcement(vec![&file], None))
        .await;
    let created = reply.assert_status(201).clone();
    assert_eq!(created["photos"][0]["id"], file.as_str());
    assert_eq!(created["photos"][0]["content_type"], "application/pdf");
    let id = created["id"].as_i64().unwrap();
    let read = app.get(&format!("/announcements/{id}"), w.resident.t()).await;
    assert_eq!(read.assert_status(200)["photos"][0]["id"], file.as_str());
    // Published: any reader downloads it.
    assert_eq!(
        download(&app, &w.resident, &format!("/uploads/{file}")).await.status,
        200
    );

    // Scheduled: only those who may read it before it is published.
    app.post(
        "/announcements",
        w.secretary.t(),
        announcement(vec![&scheduled_file], Some("2099-01-01T00:00:00Z")),
    )
    .await
    .assert_status(201);
    let path = format!("/uploads/{scheduled_file}");
    assert_eq!(download(&app, &w.resident, &path).await.status, 404);
    let other_secretary = account(&app, Some(w.station), &["secretary"]).await;
    assert_eq!(download(&app, &other_secretary, &path).await.status, 200);

    // Attached once; a resident's upload cannot be attached by staff.
    app.post("/announcements", w.secretary.t(), announcement(vec![&file], None))
        .await
        .assert_problem(409, "UPLOAD_ALREADY_ATTACHED");
    let residents = uploaded(&app, &w.resident, PDF, "r.pdf").await;
    app.post("/announcements", w.secretary.t(), announcement(vec![&residents], None))
        .await
        .assert_problem(422, "UPLOAD_UNKNOWN");
    let list = app.get("/announcements", w.resident.t()).await;
    assert_eq!(list.assert_status(200)["total"], 1);
}

fn person(id: i64, token: String) -> Person {
    Person {
        id,
        phone: String::new(),
        token,
    }
}

#[tokio::test]
async fn uploads_are_limited_per_user_per_minute() {
    let app = spawn(&[("UPLOAD_PER_USER_PER_MINUTE", "2")]).await;
    let w = world(&app).await;
    uploaded(&app, &w.resident, PDF, "a.pdf").await;
    uploaded(&app, &w.resident, PDF, "b.pdf").await;
    let refused = upload(&app, &w.resident, PDF, "c.pdf").await;
    refused.assert_problem(429, "TOO_MANY_REQUESTS");
    let wait: u64 = refused.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    // Another user is not held back.
    uploaded(&app, &w.volunteer, PDF, "d.pdf").await;
}

#[tokio::test]
async fn uploads_never_attached_are_deleted_with_their_files_after_their_time() {
    let app = spawn(&[
        ("UPLOAD_UNATTACHED_TTL_SECS", "3600"),
        ("ACCESS_TOKEN_TTL_SECS", "86400"),
    ])
    .await;
    let w = world(&app).await;
    let old = uploaded(&app, &w.resident, &png(64, 48), "old.png").await;
    let attached = uploaded(&app, &w.resident, &png(64, 48), "kept.png").await;
    let mut order = order_body(w.platform);
    order["photo_ids"] = json!([attached]);
    app.post("/orders", w.resident.t(), order).await.assert_status(201);
    app.clock.advance(chrono::Duration::minutes(50));
    let young = uploaded(&app, &w.resident, PDF, "young.pdf").await;
    app.clock.advance(chrono::Duration::minutes(11));

    let report = wenming::jobs::run_once(&app.state).await.unwrap();
    assert!(report.contains(&("uploads_purge_unattached", 1)), "{report:?}");
    assert_eq!(
        download(&app, &w.resident, &format!("/uploads/{old}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        download(&app, &w.resident, &format!("/uploads/{young}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        download(&app, &w.resident, &format!("/uploads/{attached}"))
            .await
            .status,
        StatusCode::OK
    );
    if store_env().is_empty() {
        let root = app.db.data_dir.join("uploads");
        assert!(!root.join("originals").join(&old).exists(), "the file is gone");
        assert!(!root.join("thumbnails").join(&old).exists(), "the thumbnail is gone");
        assert!(root.join("originals").join(&attached).exists());
        assert!(root.join("thumbnails").join(&attached).exists());
    }
    // An id swept away cannot be attached any more.
    let mut late = order_body(w.platform);
    late["photo_ids"] = json!([old]);
    app.post("/orders", w.resident.t(), late)
        .await
        .assert_problem(422, "UPLOAD_UNKNOWN");
    let report = wenming::jobs::run_once(&app.state).await.unwrap();
    assert!(report.contains(&("uploads_purge_unattached", 0)), "{report:?}");
}

#[tokio::test]
async fn activity_record_materials_are_shown_to_those_who_may_see_the_record_only() {
    use crate::activities::{body, published, station};
    let app = spawn(&[("ACCESS_TOKEN_TTL_SECS", "86400")]).await;
    let s = station(&app, "记录站").await;
    let id = published(&app, &s, body(&app, &s, chrono::Duration::hours(1), 10, json!({}))).await;
    let (pid, ptoken) = app.resident(s.id).await;
    let participant = person(pid, ptoken);
    app.post(&format!("/activities/{id}/signups"), participant.t(), json!({}))
        .await
        .assert_status(201);
    let (sid, stoken) = app.resident(s.id).await;
    let stranger = person(sid, stoken);
    let other = station(&app, "别的站").await;
    let other_secretary = person(other.secretary.0, other.secretary.1.clone());
    let secretary = person(s.secretary.0, s.secretary.1.clone());
    let director = person(s.director.0, s.director.1.clone());

    app.clock
        .advance(chrono::Duration::hours(1) + chrono::Duration::minutes(1));
    app.post(&format!("/activities/{id}/finish"), secretary.t(), json!({}))
        .await
        .assert_status(200);
    let photo = uploaded(&app, &secretary, &png(64, 48), "合影.png").await;
    let minutes = uploaded(&app, &secretary, PDF, "签到表.pdf").await;
    let theirs = uploaded(&app, &stranger, PDF, "x.pdf").await;

    let record =
        |ids: Value| json!({"summary": "为 32 位老人义诊理发", "attendance_confirmed": false, "material_ids": ids});
    let path = format!("/activities/{id}/record");
    app.put(&path, secretary.t(), record(json!([photo, theirs])))
        .await
        .assert_problem(422, "UPLOAD_UNKNOWN");
    let saved = app.put(&path, secretary.t(), record(json!([photo, minutes]))).await;
    let files = saved.assert_status(200)["record"]["material_files"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(files.len(), 2, "{files:?}");
    assert_eq!(files[0]["id"], json!(photo));
    assert_eq!(files[0]["url"], json!(format!("/api/v1/uploads/{photo}")));
    assert!(files[0]["thumbnail_url"].is_string());
    assert_eq!(files[1]["content_type"], json!("application/pdf"));
    // Saving again with the same files keeps them.
    app.put(&path, secretary.t(), record(json!([photo, minutes])))
        .await
        .assert_status(200);

    for who in [&participant, &director] {
        let seen = app.get(&format!("/activities/{id}"), who.t()).await;
        let files = seen.assert_status(200)["record"]["material_files"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(files.len(), 2);
        assert_eq!(
            download(&app, who, &format!("/uploads/{photo}")).await.status,
            StatusCode::OK
        );
        let thumbnail = download(&app, who, &format!("/uploads/{photo}?variant=thumbnail")).await;
        assert_eq!(thumbnail.status, StatusCode::OK);
        assert_eq!(
            download(&app, who, &format!("/uploads/{minutes}")).await.status,
            StatusCode::OK
        );
    }
    for who in [&stranger, &other_secretary] {
        let seen = app.get(&format!("/activities/{id}"), who.t()).await;
        assert_eq!(
            seen.assert_status(200)["record"],
            Value::Null,
            "no record for those not involved"
        );
        assert_eq!(
            download(&app, who, &format!("/uploads/{photo}")).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            download(&app, who, &format!("/uploads/{minutes}")).await.status,
            StatusCode::NOT_FOUND
        );
    }
    let anonymous = app.get(&format!("/activities/{id}"), None).await;
    assert_eq!(anonymous.assert_status(200)["record"], Value::Null);

    // A file left out is no longer the record's: the participant loses it, its owner keeps it
    // until the sweep of unattached uploads.
    let saved = app.put(&path, secretary.t(), record(json!([photo]))).await;
    let files = saved.assert_status(200)["record"]["material_files"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(files.len(), 1);
    assert_eq!(
        download(&app, &participant, &format!("/uploads/{minutes}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        download(&app, &secretary, &format!("/uploads/{minutes}")).await.status,
        StatusCode::OK
    );
    // The director confirms with the files already on the record, uploaded by someone else.
    let confirmed = app
        .put(
            &path,
            director.t(),
            json!({"summary": "为 32 位老人义诊理发", "attendance_confirmed": true, "material_ids": [photo]}),
        )
        .await;
    assert_eq!(
        confirmed.assert_status(200)["record"]["material_files"][0]["id"],
        json!(photo)
    );
}
