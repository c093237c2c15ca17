//! Request and response types of the upload endpoints.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The multipart form of `POST /uploads`.
#[derive(ToSchema)]
#[allow(dead_code)] // documents the form for the OpenAPI document; the body is read as a stream
pub struct UploadForm {
    /// The file: JPEG, PNG, WebP or PDF (judged by its content, not its name).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// The bytes of a downloaded file.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)] // documents the download for the OpenAPI document; the body is streamed
pub struct UploadFile(Vec<u8>);

/// A stored upload, as its uploader sees it right after uploading.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01938f6e-8a2b-7c3d-9e4f-0a1b2c3d4e5f", "content_type": "image/jpeg", "bytes": 183204,
    "width": 1600, "height": 1200,
    "thumbnail_url": "/api/v1/uploads/01938f6e-8a2b-7c3d-9e4f-0a1b2c3d4e5f?variant=thumbnail",
    "url": "/api/v1/uploads/01938f6e-8a2b-7c3d-9e4f-0a1b2c3d4e5f"
}))]
pub struct UploadResponse {
    /// Opaque id to reference in `photo_ids`.
    pub id: String,
    /// `image/jpeg`, `image/png`, `image/webp` or `application/pdf`.
    pub content_type: String,
    /// Size of the stored file (images are re-encoded without metadata).
    pub bytes: i64,
    /// Images only, after applying the photo's orientation.
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// Images only: a JPEG at most 320 pixels on its longer side.
    pub thumbnail_url: Option<String>,
    pub url: String,
}

/// A file attached to a resource, as the resource shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UploadPhoto {
    pub id: String,
    pub url: String,
    /// Images only.
    pub thumbnail_url: Option<String>,
    pub content_type: String,
}

/// Which file of an upload to download.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum UploadVariant {
    /// The file itself.
    #[default]
    Original,
    /// The thumbnail (images only; 404 for a PDF).
    Thumbnail,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// `original` (default) or `thumbnail`.
    pub variant: Option<UploadVariant>,
}
