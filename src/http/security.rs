//! Security headers on every response: no MIME sniffing, no referrer, no framing, and a content
//! security policy: nothing at all for API answers, and for the documentation pages only what
//! the vendored Swagger UI needs (its own scripts and styles, inline style attributes, `data:`
//! images, fetching the document from this server).

use actix_cors::CorsError;
use actix_web::{
    Error, ResponseError,
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderName, HeaderValue},
    middleware::Next,
};

use super::AppError;

/// The policy of the `/docs` pages.
pub const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// The policy of everything else: JSON and text need no resources and are never framed.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// The headers set on a response to `path` (those a handler already set are kept).
pub fn headers_for(path: &str) -> [(HeaderName, &'static str); 4] {
    let csp = if path == "/docs" || path.starts_with("/docs/") {
        DOCS_CSP
    } else {
        API_CSP
    };
    [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CONTENT_SECURITY_POLICY, csp),
    ]
}

pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let path = req.path().to_owned();
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    for (name, value) in headers_for(&path) {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    Ok(response)
}

/// What a CORS refusal answers: 403 `CORS_ORIGIN_REFUSED` for an origin not allowed, 400
/// `CORS_PREFLIGHT_INVALID` for a malformed preflight (one with no `Origin`, say).
pub fn cors_refusal(err: &CorsError) -> AppError {
    match err {
        CorsError::OriginNotAllowed => AppError::forbidden("CORS_ORIGIN_REFUSED", "不允许来自该来源的跨域请求"),
        _ => AppError::bad_request("CORS_PREFLIGHT_INVALID", "跨域预检请求不正确"),
    }
}

/// Turns the plain-text refusals of the CORS layer (which it wraps) into problem+json.
pub async fn cors_refusals(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let response = next.call(req).await?;
    let refusal = response
        .response()
        .error()
        .and_then(|e| e.as_error::<CorsError>())
        .map(cors_refusal);
    Ok(match refusal {
        Some(problem) => {
            let vary = response.headers().get(header::VARY).cloned();
            let mut answer = problem.error_response();
            if let Some(vary) = vary {
                answer.headers_mut().insert(header::VARY, vary);
            }
            response.into_response(answer)
        }
        None => response.map_into_boxed_body(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csp(path: &str) -> &'static str {
        headers_for(path)
            .into_iter()
            .find(|(name, _)| name == header::CONTENT_SECURITY_POLICY)
            .map(|(_, value)| value)
            .unwrap_or_default()
    }

    #[test]
    fn docs_pages_may_load_their_own_scripts_but_nothing_inline() {
        for path in ["/docs", "/docs/", "/docs/swagger-ui-bundle.js"] {
            assert_eq!(csp(path), DOCS_CSP);
        }
        assert!(DOCS_CSP.contains("script-src 'self';"));
        assert!(!DOCS_CSP.contains("script-src 'self' 'unsafe-inline'"));
    }

    #[test]
    fn a_refused_origin_is_403_and_a_malformed_preflight_400() {
        assert_eq!(cors_refusal(&CorsError::OriginNotAllowed).code(), "CORS_ORIGIN_REFUSED");
        assert_eq!(cors_refusal(&CorsError::OriginNotAllowed).status_code(), 403);
        assert_eq!(
            cors_refusal(&CorsError::BadRequestMethod).code(),
            "CORS_PREFLIGHT_INVALID"
        );
        assert_eq!(cors_refusal(&CorsError::BadRequestMethod).status_code(), 400);
        assert_eq!(cors_refusal(&CorsError::MissingOrigin).code(), "CORS_PREFLIGHT_INVALID");
    }

    #[test]
    fn other_paths_get_the_empty_policy() {
        for path in ["/api/v1/stations", "/openapi.json", "/docsx", "/metrics"] {
            assert_eq!(csp(path), API_CSP);
        }
    }
}
