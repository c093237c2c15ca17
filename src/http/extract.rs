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
    /// The access token this request came with (logout denies it).
    pub token: AccessTokenId,
}

/// The identity of one access token: its `jti` and `exp` (Unix seconds).
#[derive(Debug, Clone, Default)]
pub struct AccessTokenId {
    pub jti: String,
    pub exp: i64,
}

/// The claims of the bearer token, checked for signature and expiry; `None` without a token.
fn verified_claims(req: &HttpRequest) -> Result<Option<(jwt::Claims, web::Data<AppState>)>, AppError> {
    let invalid = || AppError::unauthorized("INVALID_TOKEN", "访问令牌无效");
    let query_token;
    let token = match req.headers().get(header::AUTHORIZATION) {
        Some(value) => {
            let value = value.to_str().map_err(|_| invalid())?;
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
                .ok_or_else(invalid)?
        }
        None => match query_access_token(req) {
            Some(token) => {
                query_token = token;
                query_token.as_str()
            }
            None => return Ok(None),
        },
    };
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("application state missing")))?;
    let claims = state
        .jwt
        .verify(token.trim(), state.clock.now())
        .map_err(|error| match error {
            jwt::TokenError::Expired => {
                AppError::unauthorized("TOKEN_EXPIRED", "访问令牌已过期，请用刷新令牌换取新令牌")
            }
            jwt::TokenError::Invalid => invalid(),
        })?;
    Ok(Some((claims, state)))
}

/// The route that also takes its token as `?access_token=`: event streams are opened by clients
/// that cannot set headers (a browser's `EventSource`). Nowhere else, so tokens stay out of the
/// URLs (and logs, histories, `Referer`s) of every other request.
pub const QUERY_TOKEN_PATH: &str = "/api/v1/notifications/stream";

fn query_access_token(req: &HttpRequest) -> Option<String> {
    if req.path() != QUERY_TOKEN_PATH {
        return None;
    }
    form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(name, _)| name == "access_token")
        .map(|(_, value)| value.into_owned())
}

/// The caller of a request, or `None` without a token. Besides signature and expiry, the token's
/// version must still be the account's: a role change, password change or deactivation bumps
/// the version in the database, and every process refuses older tokens from the next request on;
/// and its `jti` must not have been logged out. Both are read in one statement per
/// authenticated request (a primary-key read of the user with a primary-key probe of
/// `revoked_access_tokens`); no cache, so no window across processes. The read goes to the
/// reader pool on SQLite: a reader's statement sees every commit made before it began, so a
/// role change, deactivation or logout answered before this request is seen.
fn authenticate(req: &HttpRequest) -> Pin<Box<dyn Future<Output = Result<Option<AuthUser>, AppError>>>> {
    let verified = verified_claims(req);
    Box::pin(async move {
        let Some((claims, state)) = verified? else {
            return Ok(None);
        };
        let mut user = AuthUser::from_claims(&claims);
        match crate::auth::service::token_state(state.read_db(), user.id, &claims.jti).await? {
            Some(found) if found.version == claims.ver && !found.logged_out => {}
            Some(found) if found.logged_out => {
                return Err(AppError::unauthorized(
                    "TOKEN_REVOKED",
                    "该访问令牌已退出登录，请重新登录",
                ));
            }
            _ => {
                return Err(AppError::unauthorized(
                    "TOKEN_REVOKED",
                    "账号的角色、密码或状态已变更，请刷新令牌或重新登录",
                ));
            }
        }
        if user.has(Role::Supervisor) {
            user.supervised = crate::stations::service::district_station_ids(state.read_db(), user.id).await?;
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
            token: AccessTokenId {
                jti: claims.jti.clone(),
                exp: claims.exp,
            },
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

#[cfg(test)]
mod properties {
    use actix_web::{ResponseError, test::TestRequest};
    use proptest::prelude::*;

    use super::*;
    use crate::activities::types::CreateActivityRequest;
    use crate::auth::types::RegisterRequest;
    use crate::orders::types::CreateOrderRequest;

    /// `text` percent-encoded wherever a URI query may not hold it raw; `%` is kept, so broken
    /// escapes reach the parser.
    fn as_query(text: &str) -> String {
        let mut out = String::new();
        for byte in text.bytes() {
            if byte.is_ascii_alphanumeric() || b"-._~&=%+".contains(&byte) {
                out.push(char::from(byte));
            } else {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
        out
    }

    /// Numbers as clients send them, good and bad.
    fn number_text() -> impl Strategy<Value = String> {
        prop_oneof![
            (0u64..200).prop_map(|n| n.to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<u64>().prop_map(|n| n.to_string()),
            Just("18446744073709551616".to_owned()),
            Just("1e3".to_owned()),
            Just(String::new()),
            "[ 0-9a-z.+%\u{0}-]{0,8}",
            any::<String>(),
        ]
    }

    fn pagination_query() -> impl Strategy<Value = String> {
        prop_oneof![
            (number_text(), number_text()).prop_map(|(page, size)| format!(
                "page={}&page_size={}",
                as_query(&page),
                as_query(&size)
            )),
            number_text().prop_map(|size| format!("page_size={}", as_query(&size))),
            any::<String>().prop_map(|raw| as_query(&raw)),
        ]
    }

    /// A JSON document of any shape, with the texts and numbers that trip parsers.
    fn any_json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<u64>().prop_map(serde_json::Value::from),
            any::<f64>().prop_map(serde_json::Value::from),
            any::<String>().prop_map(serde_json::Value::from),
            "[\u{0}-\u{1f}\u{7f}-\u{9f}\u{200b}\u{feff} a-z中文]{0,6}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            let key = prop_oneof![
                Just("title".to_owned()),
                Just("name".to_owned()),
                Just("platform_id".to_owned()),
                Just("starts_at".to_owned()),
                Just("capacity".to_owned()),
                Just("phone".to_owned()),
                any::<String>(),
            ];
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                prop::collection::btree_map(key, inner, 0..6)
                    .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
            ]
        })
    }

    /// Bytes a client may send as a body: any bytes, any JSON, and JSON cut short or followed
    /// by more.
    fn any_body() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..64),
            any_json().prop_map(|v| v.to_string().into_bytes()),
            (any_json(), any::<prop::sample::Index>()).prop_map(|(v, cut)| {
                let text = v.to_string().into_bytes();
                text[..cut.index(text.len() + 1)].to_vec()
            }),
            (any_json(), "[ \u{0}x{}\\[\\]0-9]{1,4}").prop_map(|(v, tail)| format!("{v}{tail}").into_bytes()),
            Just(b"{\"capacity\": 1e999}".to_vec()),
            Just(b"{\"platform_id\": 99999999999999999999999}".to_vec()),
        ]
    }

    /// Reads `bytes` through the JSON body extractor as `T`.
    fn extract<T: DeserializeOwned + Validate + 'static>(bytes: Vec<u8>) -> Result<ValidatedJson<T>, AppError> {
        let (req, mut payload) = TestRequest::post()
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .set_payload(bytes)
            .to_http_parts();
        futures::executor::block_on(ValidatedJson::<T>::from_request(&req, &mut payload))
    }

    /// A refusal of the client's input: 400, 413 or 422, as problem+json.
    fn assert_client_error(error: &dyn ResponseError) -> Result<(), TestCaseError> {
        let status = error.status_code().as_u16();
        prop_assert!(matches!(status, 400 | 413 | 422), "status {}", status);
        let response = error.error_response();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        prop_assert_eq!(content_type, Some("application/problem+json"));
        Ok(())
    }

    proptest! {
        #[test]
        fn any_query_is_a_page_of_1_to_100_or_a_client_error(query in pagination_query()) {
            let req = TestRequest::with_uri(&format!("/orders?{query}"))
                .app_data(crate::http::query_config())
                .to_http_request();
            match ValidatedQuery::<Pagination>::from_request(&req, &mut Payload::None).into_inner() {
                Ok(ValidatedQuery(page)) => {
                    prop_assert!((1..=100).contains(&page.page_size()));
                    prop_assert!((1..=1_000_000).contains(&page.page()));
                    prop_assert_eq!(page.offset(), (page.page() - 1) * page.page_size());
                }
                Err(error) => assert_client_error(error.as_response_error())?,
            }
        }

        #[test]
        fn any_body_is_accepted_or_refused_as_a_client_error(bytes in any_body()) {
            for result in [
                extract::<CreateOrderRequest>(bytes.clone()).map(|_| ()),
                extract::<CreateActivityRequest>(bytes.clone()).map(|_| ()),
                extract::<RegisterRequest>(bytes).map(|_| ()),
            ] {
                if let Err(error) = result {
                    assert_client_error(&error)?;
                }
            }
        }

    }
}
