//! HTTP caching of API answers.
//!
//! `Cache-Control` on every `/api/` answer that has none yet (the token answers keep their
//! `no-store`): errors `no-store`; anything answered to a request with `Authorization`
//! `private, no-cache` (the answer is personal: `allowed_actions`, the caller's own data);
//! anonymous reads of the public lists (stations, platforms, service items, activities,
//! announcements, and one of each by id) `public, max-age=PUBLIC_CACHE_SECS`; other anonymous
//! reads `no-cache`; anonymous writes (a registration echoes the phone and name it was sent)
//! `no-store`.
//!
//! `ETag` on every `200` JSON answer to GET or HEAD: a strong tag hashed from the exact bytes
//! of the body, so two callers shown different `allowed_actions` get different tags. A request
//! whose `If-None-Match` matches (weak comparison, a list, or `*`) gets `304 Not Modified`
//! without a body, with the same `ETag`, `Cache-Control` and `Vary`. Downloads (CSV, xlsx),
//! event streams, and bodies larger than [`MAX_TAGGED_BODY`] or of unknown length are never
//! read, and so not tagged.

use actix_web::{
    Error,
    body::{BodySize, BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{
        Method, StatusCode,
        header::{self, HeaderMap, HeaderValue},
    },
    middleware::Next,
    web,
};
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::state::AppState;

/// The largest body that is hashed for an `ETag`.
pub const MAX_TAGGED_BODY: u64 = 4 * 1024 * 1024;

/// The collections everyone may read: an anonymous answer about them may be kept by shared
/// caches for a short while.
const PUBLIC_COLLECTIONS: [&str; 5] = [
    "/api/v1/stations",
    "/api/v1/platforms",
    "/api/v1/service-items",
    "/api/v1/activities",
    "/api/v1/announcements",
];

/// Whether `path` is a public collection or one of its members (`/api/v1/stations/7`).
pub fn is_public(path: &str) -> bool {
    let path = path.strip_suffix('/').unwrap_or(path);
    PUBLIC_COLLECTIONS.iter().any(|collection| {
        path.strip_prefix(collection).is_some_and(|rest| {
            rest.is_empty()
                || rest
                    .strip_prefix('/')
                    .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
        })
    })
}

/// The `Cache-Control` of an `/api/` answer with `status` to a request with `method` for `path`.
pub fn cache_control(method: &Method, path: &str, authorized: bool, status: StatusCode, public_secs: u64) -> String {
    let read = method == Method::GET || method == Method::HEAD;
    if status.is_client_error() || status.is_server_error() {
        "no-store".into()
    } else if authorized {
        "private, no-cache".into()
    } else if !read {
        "no-store".into()
    } else if status.is_success() && is_public(path) && public_secs > 0 {
        format!("public, max-age={public_secs}")
    } else {
        "no-cache".into()
    }
}

/// The strong entity tag of `body`: the first 128 bits of its SHA-256, base64url.
pub fn entity_tag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!(
        "\"{}\"",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16])
    )
}

/// Whether an `If-None-Match` value matches the current `tag` (RFC 9110 §13.1.2: `*` matches
/// any current representation; otherwise the weak comparison, ignoring `W/`).
pub fn none_match(if_none_match: &str, tag: &str) -> bool {
    let opaque = |t: &str| {
        let t = t.trim();
        t.strip_prefix("W/").unwrap_or(t).to_owned()
    };
    if if_none_match.trim() == "*" {
        return true;
    }
    let tag = opaque(tag);
    if_none_match.split(',').any(|candidate| opaque(candidate) == tag)
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

pub async fn caching(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let method = req.method().clone();
    let path = req.path().to_owned();
    let authorized = req.headers().contains_key(header::AUTHORIZATION);
    let if_none_match = req
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    let public_secs = req
        .app_data::<web::Data<AppState>>()
        .map_or(0, |state| state.settings.public_cache.as_secs());
    let mut response = next.call(req).await?.map_into_boxed_body();

    let read = method == Method::GET || method == Method::HEAD;
    let status = response.status();
    let api = path.starts_with("/api/");
    let headers = response.headers_mut();
    if api {
        if !headers.contains_key(header::CACHE_CONTROL) {
            let value = cache_control(&method, &path, authorized, status, public_secs);
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(header::CACHE_CONTROL, value);
            }
        }
        if read && !status.is_client_error() && !status.is_server_error() {
            headers.append(header::VARY, HeaderValue::from_static("Authorization"));
        }
    }

    if !read || status != StatusCode::OK || !is_json(response.headers()) {
        return Ok(response);
    }
    let BodySize::Sized(size) = response.response().body().size() else {
        return Ok(response);
    };
    if size > MAX_TAGGED_BODY {
        return Ok(response);
    }
    let (request, response) = response.into_parts();
    let (mut response, body) = response.into_parts();
    let bytes = match actix_web::body::to_bytes(body).await {
        Ok(bytes) => bytes,
        Err(err) => return Err(Error::from(crate::http::AppError::internal(anyhow::anyhow!("{err}")))),
    };
    let tag = entity_tag(&bytes);
    if let Ok(value) = HeaderValue::from_str(&tag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    if !if_none_match.is_empty() && none_match(&if_none_match, &tag) {
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response.headers_mut().remove(header::CONTENT_TYPE);
        return Ok(ServiceResponse::new(request, response.set_body(BoxBody::new(()))));
    }
    Ok(ServiceResponse::new(request, response.set_body(BoxBody::new(bytes))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_collections_and_their_members_only() {
        for path in [
            "/api/v1/stations",
            "/api/v1/stations/",
            "/api/v1/stations/12",
            "/api/v1/activities/3",
            "/api/v1/announcements",
            "/api/v1/service-items/9",
            "/api/v1/platforms",
        ] {
            assert!(is_public(path), "{path}");
        }
        for path in [
            "/api/v1/activities/3/signups",
            "/api/v1/stations/x",
            "/api/v1/stationsx",
            "/api/v1/me",
            "/api/v1/orders",
            "/api/v1/activities//",
        ] {
            assert!(!is_public(path), "{path}");
        }
    }

    #[test]
    fn cache_control_by_status_caller_and_path() {
        let get = Method::GET;
        assert_eq!(
            cache_control(&get, "/api/v1/stations", false, StatusCode::OK, 60),
            "public, max-age=60"
        );
        assert_eq!(
            cache_control(&get, "/api/v1/stations", true, StatusCode::OK, 60),
            "private, no-cache"
        );
        assert_eq!(
            cache_control(&get, "/api/v1/stations", false, StatusCode::OK, 0),
            "no-cache"
        );
        assert_eq!(
            cache_control(&get, "/api/v1/orders", false, StatusCode::OK, 60),
            "no-cache"
        );
        assert_eq!(
            cache_control(&Method::POST, "/api/v1/stations", false, StatusCode::OK, 60),
            "no-store"
        );
        assert_eq!(
            cache_control(&get, "/api/v1/stations/9", false, StatusCode::NOT_FOUND, 60),
            "no-store"
        );
        assert_eq!(
            cache_control(&get, "/api/v1/me", true, StatusCode::UNAUTHORIZED, 60),
            "no-store"
        );
    }

    #[test]
    fn if_none_match_lists_weak_tags_and_star() {
        let tag = entity_tag(b"{}");
        assert!(tag.starts_with('"') && tag.ends_with('"') && tag.len() == 24);
        assert_ne!(tag, entity_tag(b"{ }"));
        assert!(none_match(&tag, &tag));
        assert!(none_match(&format!("W/{tag}"), &tag));
        assert!(none_match(&format!("\"other\", {tag}"), &tag));
        assert!(none_match("*", &tag));
        assert!(!none_match("\"other\"", &tag));
        assert!(!none_match("", &tag));
    }
}
