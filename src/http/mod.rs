//! HTTP plumbing shared by every domain: errors, extractors, the list envelope, the request
//! context middleware and the fallback for unknown routes.

pub mod caching;
pub mod client;
pub mod error;
pub mod extract;
pub mod hygiene;
pub mod idempotency;
pub mod language;
pub mod messages;
pub mod method_override;
pub mod middleware;
pub mod page;
pub mod routes;
pub mod security;

pub use client::client_address;
pub use error::{AppError, AppResult, FieldError, Problem};
pub use extract::{AccessTokenId, AuthUser, MaybeAuthUser, OptionalJson, Pagination, ValidatedJson, ValidatedQuery};
pub use page::Page;

use actix_web::{HttpRequest, HttpResponse, http::header, web};

/// Query-string errors (a number that is not a number, an unknown enum value) are 400s.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|err, _req| AppError::bad_request("INVALID_QUERY", format!("查询参数不正确: {err}")).into())
}

/// A path segment of the wrong type can name no resource: 404.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_err, _req| AppError::not_found("资源不存在").into())
}

/// A `201 Created` answer with the new resource's `Location`.
pub fn created<T: serde::Serialize>(location: String, body: &T) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(body)
}

/// Answers requests no route matched: 405 (with `Allow`) when the path exists under another
/// method, else 404, both as problem+json.
pub async fn fallback(req: HttpRequest, routes: web::Data<routes::RouteTable>) -> Result<HttpResponse, AppError> {
    Err(match routes.allowed_methods(req.path()) {
        Some(methods) if !methods.is_empty() => AppError::MethodNotAllowed {
            allow: methods.join(", "),
        },
        _ => AppError::not_found("没有这个接口"),
    })
}
