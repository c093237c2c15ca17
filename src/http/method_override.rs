//! `X-HTTP-Method-Override`: WeChat mini-programs' `wx.request` cannot send `PATCH`, so a `POST`
//! carrying `X-HTTP-Method-Override: PATCH` is routed as that `PATCH`. Only this one direction:
//! any other value on a `POST` is refused (400 `METHOD_OVERRIDE_NOT_ALLOWED`) rather than
//! silently ignored, so a client that hoped to send `DELETE` learns it did not; the header on
//! any other method is ignored. Wrapped on the `App`, this runs before the router picks a route.

use actix_web::{
    Error,
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{Method, header::HeaderName},
    middleware::Next,
};

use super::AppError;

pub const METHOD_OVERRIDE: HeaderName = HeaderName::from_static("x-http-method-override");

/// The method a request is routed as: `Some(PATCH)` for a `POST` overridden to `PATCH`, `None`
/// when nothing changes, an error for an override that is not allowed.
fn overridden(req: &ServiceRequest) -> Result<Option<Method>, AppError> {
    if req.method() != Method::POST {
        return Ok(None);
    }
    let mut values = req.headers().get_all(METHOD_OVERRIDE);
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let single_patch = values.next().is_none() && value.to_str().is_ok_and(|v| v.trim().eq_ignore_ascii_case("PATCH"));
    if single_patch {
        Ok(Some(Method::PATCH))
    } else {
        Err(AppError::bad_request(
            "METHOD_OVERRIDE_NOT_ALLOWED",
            "X-HTTP-Method-Override 只能在 POST 请求上取值 PATCH",
        ))
    }
}

pub async fn method_override(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    match overridden(&req) {
        Ok(Some(method)) => req.head_mut().method = method,
        Ok(None) => {}
        Err(problem) => return Ok(req.error_response(problem)),
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}
