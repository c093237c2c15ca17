//! Upload endpoints: `POST /uploads` (multipart, field `file`) and `GET /uploads/{id}`.

use actix_multipart::{Multipart, MultipartError};
use actix_web::{HttpRequest, HttpResponse, get, http::header, post, web};
use futures_util::{StreamExt, TryStreamExt};
use utoipa_actix_web::service_config::ServiceConfig;

use super::media::{self, MediaError, THUMBNAIL_TYPE};
use super::service;
use super::types::*;
use crate::audit::Origin;
use crate::http::{AppError, AppResult, AuthUser, Problem};
use crate::orders::service::Timing;
use crate::state::AppState;

/// Bytes of the multipart envelope and of other form fields allowed beside the file.
const FORM_OVERHEAD: usize = 16 * 1024;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_upload).service(get_upload);
}

fn too_large(max: usize) -> AppError {
    AppError::TooLarge {
        code: "UPLOAD_TOO_LARGE",
        detail: format!("文件不能超过 {} KB", max / 1024),
    }
}

fn unsupported() -> AppError {
    AppError::UnsupportedType {
        code: "UNSUPPORTED_MEDIA_TYPE",
        detail: "只接受 JPEG、PNG、WebP 图片或 PDF 文件".into(),
    }
}

fn multipart_error(err: MultipartError) -> AppError {
    match err {
        MultipartError::ContentTypeMissing
        | MultipartError::ContentTypeParse
        | MultipartError::ContentTypeIncompatible
        | MultipartError::BoundaryMissing => AppError::UnsupportedType {
            code: "UNSUPPORTED_MEDIA_TYPE",
            detail: "请求体须为 multipart/form-data".into(),
        },
        other => AppError::bad_request("MALFORMED_BODY", format!("multipart 请求体无法解析: {other}")),
    }
}

/// The bytes of the form's one `file` field, refused (413) as soon as they pass `max`: the
/// body is counted while it streams in, never buffered beyond the cap.
async fn read_file_field(req: &HttpRequest, payload: web::Payload, max: usize) -> AppResult<Vec<u8>> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > max.saturating_add(FORM_OVERHEAD)) {
        return Err(too_large(max));
    }
    let mut form = Multipart::new(req.headers(), payload);
    let mut file: Option<Vec<u8>> = None;
    let mut other_bytes = 0usize;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(multipart_error)?;
        let is_file = field.name() == Some("file");
        if is_file && file.is_some() {
            return Err(AppError::invalid_field("file", "只能上传一个文件"));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.try_next().await.map_err(multipart_error)? {
            if is_file {
                if bytes.len() + chunk.len() > max {
                    return Err(too_large(max));
                }
                bytes.extend_from_slice(&chunk);
            } else {
                other_bytes += chunk.len();
                if other_bytes > FORM_OVERHEAD {
                    return Err(too_large(max));
                }
            }
        }
        if is_file {
            file = Some(bytes);
        }
    }
    match file {
        Some(bytes) if !bytes.is_empty() => Ok(bytes),
        Some(_) => Err(AppError::invalid_field("file", "文件为空")),
        None => Err(AppError::invalid_field("file", "缺少 file 字段")),
    }
}

/// Upload a photo or PDF
///
/// Any signed-in user. A multipart form with one field `file`: a JPEG, PNG, WebP or PDF,
/// judged by its content (a `.jpg` name on other bytes is 415). At most `UPLOAD_MAX_BYTES`
/// (default 10 MiB; 413 `UPLOAD_TOO_LARGE`) and, for images, `UPLOAD_MAX_PIXELS` (default 40
/// megapixels; 422 `IMAGE_TOO_LARGE`, checked from the header before decoding). Images are
/// stored re-encoded with the photo's orientation applied and without any metadata (EXIF and
/// GPS are removed), with a JPEG thumbnail. The upload stays the caller's, unattached, until a
/// request references its `id` (`photo_ids` of `POST /orders` or `POST /orders/{id}/complete`,
/// `attachment_ids` of an announcement, `material_ids` of `PUT /activities/{id}/record`); one
/// never referenced is deleted `UPLOAD_UNATTACHED_TTL_SECS` (default 24 hours) after it was
/// made. Each user may upload `UPLOAD_PER_USER_PER_MINUTE` files a minute (default 20).
#[utoipa::path(
    tag = "uploads",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Stored; `Location` is its download URL", body = UploadResponse),
        (status = 400, description = "A multipart body that cannot be parsed (`MALFORMED_BODY`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Over `UPLOAD_MAX_BYTES` (`UPLOAD_TOO_LARGE`)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not a JPEG, PNG, WebP or PDF, or not a multipart form (`UNSUPPORTED_MEDIA_TYPE`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "More pixels than `UPLOAD_MAX_PIXELS` (`IMAGE_TOO_LARGE`), an image that cannot be decoded (`IMAGE_UNDECODABLE`), or no `file` field (`VALIDATION_FAILED`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "More than `UPLOAD_PER_USER_PER_MINUTE` uploads this minute (`TOO_MANY_REQUESTS`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait")),
            example = json!({"type": "https://wenming.dev/problems/too-many-requests", "title": "Too Many Requests", "status": 429, "detail": "请求过于频繁，请稍后再试", "code": "TOO_MANY_REQUESTS"})),
    )
)]
#[post("/uploads")]
async fn create_upload(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let limits = &state.settings.uploads;
    state.upload_limiter.check(user.id).await?;
    let bytes = read_file_field(&req, payload, limits.max_bytes).await?;
    let max_pixels = limits.max_pixels;
    let processed = web::block(move || media::process(bytes, max_pixels))
        .await
        .map_err(AppError::internal)?
        .map_err(|err| match err {
            MediaError::Unsupported => unsupported(),
            MediaError::TooManyPixels { width, height } => AppError::unprocessable_field(
                "IMAGE_TOO_LARGE",
                "file",
                format!("图片像素过多（{width}×{height}），不能超过 {max_pixels} 像素"),
            ),
            MediaError::Undecodable => {
                AppError::unprocessable_field("IMAGE_UNDECODABLE", "file", "图片已损坏，无法读取")
            }
        })?;
    let upload = service::create(&state.db, &state.uploads, &user, processed, state.clock.now()).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, service::url(&upload.id)))
        .json(service::response(&upload)))
}

/// Download an upload
///
/// The file with its content type (`?variant=thumbnail`: the image's JPEG thumbnail). Its
/// uploader may always download it; anyone else only when it is attached to something they may
/// see: an order (the order's resident, its volunteer, the station's staff, supervisors), an
/// announcement they may read, or an activity record (the activity's host, the station's staff,
/// supervisors, and those with a confirmed sign-up). Otherwise 404,
/// as for an id that does not exist. Images are served `inline`, PDFs as an `attachment`.
#[utoipa::path(
    tag = "uploads",
    params(("id" = String, Path, description = "Upload id"), UploadQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The file", content(
            (UploadFile = "image/jpeg"), (UploadFile = "image/png"), (UploadFile = "image/webp"), (UploadFile = "application/pdf")
        )),
        (status = 400, description = "`variant` neither `original` nor `thumbnail` (`INVALID_QUERY`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such upload, or not visible to the caller; or no thumbnail (`NOT_FOUND`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/uploads/{id}")]
async fn get_upload(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<String>,
    query: web::Query<UploadQuery>,
) -> AppResult<HttpResponse> {
    let timing = Timing::new(&state.settings, state.clock.now());
    let upload = service::find_visible(&state.db, &user, &origin, timing, &id).await?;
    let variant = query.variant.unwrap_or_default();
    let (key, content_type) = match variant {
        UploadVariant::Original => (upload.object_key.clone(), upload.content_type.clone()),
        UploadVariant::Thumbnail => (
            upload
                .thumbnail_key
                .clone()
                .ok_or_else(|| AppError::not_found("该文件没有缩略图"))?,
            THUMBNAIL_TYPE.to_owned(),
        ),
    };
    let extension = match content_type.as_str() {
        "image/png" => "png",
        "image/webp" => "webp",
        "application/pdf" => "pdf",
        _ => "jpg",
    };
    let disposition = if extension == "pdf" { "attachment" } else { "inline" };
    let body = state.uploads.get(&key).await.map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("{disposition}; filename=\"{}.{extension}\"", upload.id),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "private, max-age=3600"))
        .streaming(body.map_err(|err| actix_web::error::ErrorInternalServerError(err.to_string()))))
}
