//! Request extractors: the authenticated caller, validated JSON bodies and pagination.
//!
//! Authentication is a handler argument (`AuthUser`), so a handler's signature says who may call
//! it; role checks are made on the extracted caller (see `crate::auth::roles`).

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, http::header, web};
use serde::{Deserialize, de::DeserializeOwned};
use utoipa::IntoParams;
use validator::Validate;

use super::error::AppError;
use crate::auth::{jwt, roles::Role};
use crate::state::AppState;

/// The caller, proven by a valid access token.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: i32,
    pub roles: Vec<Role>,
    pub station_id: Option<i32>,
    /// For a supervisor: the stations of their district (read at each request, so a new
    /// station of the district is seen at once); empty for everyone else.
    pub supervised: Vec<i32>,
}

/// The claims of the bearer token, checked for signature and expiry; `None` without a token.
fn verified_claims(req: &HttpRequest) -> Result<Option<(jwt::Claims, web::Data<AppState>)>, AppError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let invalid = || AppError::unauthorized("INVALID_TOKEN", "访问令牌无效或已过期");
    let value = value.to_str().map_err(|_| invalid())?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or_else(invalid)?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("application state missing")))?;
    let claims = state
        .jwt
        .verify(token.trim(), state.clock.now())
        .map_err(|_| invalid())?;
    Ok(Some((claims, state)))
}

/// The caller of a request, or `None` without a token. Besides signature and expiry, the token's
/// version must still be the account's: a role change, password change or deactivation bumps
/// the version in the database, and every process refuses older tokens from the next request on
/// (one primary-key read per authenticated request; no cache, so no window across processes).
fn authenticate(req: &HttpRequest) -> Pin<Box<dyn Future<Output = Result<Option<AuthUser>, AppError>>>> {
    let verified = verified_claims(req);
    Box::pin(async move {
        let Some((claims, state)) = verified? else {
            return Ok(None);
        };
        let mut user = AuthUser::from_claims(&claims);
        match crate::auth::service::token_version(&state.db, user.id).await? {
            Some(current) if current == claims.ver => {}
            _ => {
                return Err(AppError::unauthorized(
                    "TOKEN_REVOKED",
                    "账号的角色、密码或状态已变更，请刷新令牌或重新登录",
                ));
            }
        }
        if user.has(Role::Supervisor) {
            user.supervised = crate::stations::service::district_station_ids(&state.db, user.id).await?;
        }
        Ok(Some(user))
    })
}

impl AuthUser {
    fn from_claims(claims: &jwt::Claims) -> Self {
        AuthUser {
            id: claims.sub.parse().unwrap_or_default(),
            roles: claims.roles.iter().filter_map(|r| r.parse().ok()).collect(),
            station_id: claims.station_id,
            supervised: Vec::new(),
        }
    }
}

impl FromRequest for AuthUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let found = authenticate(req);
        Box::pin(async move {
            found
                .await?
                .ok_or_else(|| AppError::unauthorized("MISSING_TOKEN", "请先登录"))
        })
    }
}

/// The caller if a token was sent; a bad token is still refused.
#[derive(Debug, Clone)]
pub struct MaybeAuthUser(pub Option<AuthUser>);

impl FromRequest for MaybeAuthUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let found = authenticate(req);
        Box::pin(async move { found.await.map(MaybeAuthUser) })
    }
}

/// Where the request came from, for audit entries: the client address (`client_address`, which
/// honours `TRUSTED_PROXIES`) and the request id.
impl FromRequest for crate::audit::Origin {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request_id = req
            .extensions()
            .get::<super::middleware::RequestId>()
            .map(|id| id.0.clone());
        std::future::ready(Ok(crate::audit::Origin {
            address: super::client_address(req),
            request_id,
        }))
    }
}

/// A JSON body that passed its `validator` rules; a failure is a 422 with per-field errors.
#[derive(Debug)]
pub struct ValidatedJson<T>(pub T);

impl<T> FromRequest for ValidatedJson<T>
where
    T: DeserializeOwned + Validate + 'static,
{
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = json_bytes(req, payload);
        Box::pin(async move {
            let body: T = parse_json(&bytes.await?)?;
            body.validate()?;
            Ok(ValidatedJson(body))
        })
    }
}

/// Reads a body declared as JSON (or with no content type); errors are problem documents.
fn json_bytes(req: &HttpRequest, payload: &mut Payload) -> impl Future<Output = Result<web::Bytes, AppError>> + use<> {
    let content_type_ok = match req.headers().get(header::CONTENT_TYPE) {
        None => true,
        Some(value) => value.to_str().is_ok_and(|v| {
            let mime = v.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            mime == "application/json" || mime.ends_with("+json")
        }),
    };
    let bytes = web::Bytes::from_request(req, payload);
    async move {
        if !content_type_ok {
            return Err(AppError::UnsupportedMediaType);
        }
        bytes.await.map_err(|e| {
            if e.as_response_error().status_code() == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge
            } else {
                AppError::bad_request("MALFORMED_BODY", "请求体读取失败")
            }
        })
    }
}

/// A JSON body that may be left out (every field of `T` optional): an empty body is
/// `T::default()`; anything else is read like [`ValidatedJson`].
#[derive(Debug)]
pub struct OptionalJson<T>(pub T);

impl<T> FromRequest for OptionalJson<T>
where
    T: DeserializeOwned + Validate + Default + 'static,
{
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = json_bytes(req, payload);
        Box::pin(async move {
            let bytes = bytes.await?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(OptionalJson(T::default()));
            }
            let body: T = parse_json(&bytes)?;
            body.validate()?;
            Ok(OptionalJson(body))
        })
    }
}

/// Parses a JSON body: broken JSON (or data after it) is a 400; text that breaks the hygiene
/// rules (`hygiene::clean_body`) and well-formed JSON of the wrong shape are 422s naming the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|inner| AppError::bad_request("MALFORMED_JSON", format!("请求体不是合法的 JSON: {inner}")))?;
    super::hygiene::clean_body(&mut value)?;
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_data() {
            let field = if path == "." {
                missing_field(&inner.to_string()).unwrap_or_else(|| "body".into())
            } else {
                path
            };
            AppError::invalid_field(&field, format!("字段类型或取值不正确: {inner}"))
        } else {
            AppError::bad_request("MALFORMED_JSON", format!("请求体不是合法的 JSON: {inner}"))
        }
    })
}

fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest[..rest.find('`')?].to_owned())
}

/// `?page=1&page_size=20`; `page_size` is at most 100.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct Pagination {
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1000000, default = 1, example = 1)]
    #[validate(range(min = 1, max = 1000000, message = "page 须为正整数"))]
    pub page: Option<u64>,
    /// Items per page, 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 20, example = 20)]
    #[validate(range(min = 1, max = 100, message = "page_size 须在 1 到 100 之间"))]
    pub page_size: Option<u64>,
}

impl Pagination {
    pub fn page(&self) -> u64 {
        self.page.unwrap_or(1)
    }
    pub fn page_size(&self) -> u64 {
        self.page_size.unwrap_or(20)
    }
    /// Rows to skip before this page.
    pub fn offset(&self) -> u64 {
        (self.page() - 1) * self.page_size()
    }
}

/// A validated query string; a type error is a 400, a rule failure a 422.
#[derive(Debug)]
pub struct ValidatedQuery<T>(pub T);

impl<T> FromRequest for ValidatedQuery<T>
where
    T: DeserializeOwned + Validate + 'static,
{
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let result = web::Query::<T>::from_request(req, payload)
            .into_inner()
            .and_then(|query| {
                let query = query.into_inner();
                query.validate().map_err(AppError::from)?;
                Ok(ValidatedQuery(query))
            });
        std::future::ready(result)
    }
}
