//! The OpenAPI document: built from the same route registrations the server uses, so the two
//! cannot drift, then completed with the security scheme and the shared error responses.

use actix_web::App;
use utoipa::{
    Modify, OpenApi,
    openapi::{
        self, Content, RefOr, Response, ResponseBuilder,
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};
use utoipa_actix_web::{AppExt, service_config::ServiceConfig};

use crate::http::{FieldError, Problem};

mod typing;

/// Every `/api/v1` route, domain by domain: the table of contents of the API.
pub fn api_routes(cfg: &mut ServiceConfig) {
    crate::auth::routes::configure(cfg);
    crate::wechat::routes::configure(cfg);
    crate::users::routes::configure(cfg);
    crate::stations::routes::configure(cfg);
    crate::platforms::routes::configure(cfg);
    crate::notifications::routes::configure(cfg);
    crate::hours::routes::configure(cfg);
    crate::activities::routes::configure(cfg);
    crate::leave::routes::configure(cfg);
    crate::service_items::routes::configure(cfg);
    crate::volunteers::routes::configure(cfg);
    crate::orders::routes::configure(cfg);
    crate::plans::routes::configure(cfg);
    crate::reports::routes::configure(cfg);
    crate::commendations::routes::configure(cfg);
    crate::ledger::routes::configure(cfg);
    crate::announcements::routes::configure(cfg);
    crate::audit::routes::configure(cfg);
    crate::uploads::routes::configure(cfg);
}

/// Routes outside `/api/v1`.
pub fn root_routes(cfg: &mut ServiceConfig) {
    crate::ops::routes::configure(cfg);
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "wenming API",
        description = include_str!("intro.md"),
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    components(schemas(
        Problem,
        FieldError,
        // Query parameter types that no body names, so the document must carry them itself.
        crate::ledger::types::LedgerFormat,
        crate::ledger::types::LedgerSheet,
        crate::uploads::types::UploadVariant,
        // Named only inside `ActivityResponse.allowed_actions`' union.
        crate::activities::state::Action,
    )),
    tags(
        (name = "auth", description = "Registration, login and tokens"),
        (name = "me", description = "The caller's own account"),
        (name = "users", description = "Staff accounts and roles"),
        (name = "stations", description = "Stations (社区实践站)"),
        (name = "platforms", description = "Service platforms (平台)"),
        (name = "notifications", description = "What concerns the caller"),
        (name = "activities", description = "Activities (活动): drafting, director approval, browsing, record"),
        (name = "signups", description = "Sign-ups (报名), waitlist, check-in (签到) and check-out"),
        (name = "leave", description = "Leave requests (请假)"),
        (name = "service-items", description = "The service menu residents order from (服务菜单)"),
        (name = "volunteers", description = "Volunteer applications, volunteers and teams (志愿者、志愿服务队)"),
        (name = "orders", description = "Service orders: 群众点单、中心派单、志愿者接单、群众评单"),
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "plans", description = "Annual plans (年度活动方案): drafting, the director's approval, month-by-month compliance"),
        (name = "reports", description = "Station overview, half-year report and inspections (督查)"),
        (name = "commendations", description = "Rankings and commendation (先进评选): nomination, director approval, public notice (公示) and objections"),
        (name = "ledger", description = "The year's ledger (台账): JSON, CSV and an .xlsx workbook"),
        (name = "announcements", description = "News and learning content (公告、新闻、学习)"),
        (name = "audit", description = "The audit log of staff actions (审计日志): read-only"),
        (name = "uploads", description = "Photos and PDFs attached to orders (照片、附件)"),
    )
)]
struct BaseDoc;

/// The document utoipa builds from the routes, with the security scheme, the shared error
/// answers and revalidation added; the route table is read from it.
pub fn document() -> openapi::OpenApi {
    let (_, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(BaseDoc::openapi())
        .service(utoipa_actix_web::scope("/api/v1").configure(api_routes))
        .configure(root_routes)
        .split_for_parts();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    SecurityAndErrors.modify(&mut doc);
    Revalidation.modify(&mut doc);
    doc
}

/// The document as served at `/openapi.json` and committed in `openapi/openapi.json`:
/// [`document`] with the passes of [`typing`] applied.
pub fn document_json() -> serde_json::Value {
    json_of(document())
}

/// [`document`]'s result as served: with the passes of [`typing`] applied.
pub fn json_of(doc: openapi::OpenApi) -> serde_json::Value {
    let mut doc = serde_json::to_value(doc).expect("the document serializes");
    typing::apply(&mut doc);
    doc
}

/// The served document, serialized once at start-up.
pub struct Document(pub actix_web::web::Bytes);

/// `GET /openapi.json`.
pub async fn serve_document(doc: actix_web::web::Data<Document>) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("application/json")
        .body(doc.0.clone())
}

/// The `/docs/` page: Swagger UI's files with a page of our own that fits a phone's width.
pub async fn docs_page() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(include_str!("docs.html"))
}

/// Declares on every GET operation that answers JSON what `crate::http::caching` does: the
/// `ETag` and `Cache-Control` of the `200` answer, the optional `If-None-Match` request header,
/// and the `304` answer a matching one gets.
struct Revalidation;

impl Modify for Revalidation {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        use openapi::{
            Required,
            header::HeaderBuilder,
            path::{ParameterBuilder, ParameterIn},
            schema::{Object, Type},
        };
        let string = || Some(Object::with_type(Type::String));
        let etag = HeaderBuilder::new()
            .schema(string())
            .description(Some(
                "A strong tag of this exact representation; send it back in `If-None-Match` to revalidate",
            ))
            .build();
        let cache_control = HeaderBuilder::new()
            .schema(string())
            .description(Some(
                "`private, no-cache` when the request carried `Authorization`; `public, max-age=60` (`PUBLIC_CACHE_SECS`) for anonymous reads of stations, platforms, service items, activities and announcements; `no-cache` otherwise",
            ))
            .build();
        let if_none_match = ParameterBuilder::new()
            .name("If-None-Match")
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .schema(string())
            .description(Some(
                "Entity tags from earlier `ETag`s (a list, `W/` tags, or `*`): when one matches the current representation the answer is `304` without a body",
            ))
            .build();
        let not_modified = ResponseBuilder::new()
            .description("The representation has not changed since the `If-None-Match` tag (no body)")
            .header("ETag", etag.clone())
            .header("Cache-Control", cache_control.clone())
            .build();

        for (path, item) in doc.paths.paths.iter_mut() {
            let Some(operation) = item.get.as_mut() else {
                continue;
            };
            let Some(RefOr::T(ok)) = operation.responses.responses.get_mut("200") else {
                continue;
            };
            if !ok.content.contains_key("application/json") {
                continue;
            }
            ok.headers
                .entry("ETag".to_owned())
                .or_insert_with(|| etag.clone().into());
            let mut not_modified = not_modified.clone();
            if path.starts_with("/api/") {
                ok.headers
                    .entry("Cache-Control".to_owned())
                    .or_insert_with(|| cache_control.clone().into());
            } else {
                not_modified.headers.remove("Cache-Control");
            }
            operation
                .responses
                .responses
                .entry("304".to_owned())
                .or_insert_with(|| RefOr::T(not_modified));
            operation
                .parameters
                .get_or_insert_with(Vec::new)
                .push(if_none_match.clone().into());
        }
    }
}

/// Adds the bearer scheme and, to every operation, the error responses every such operation can
/// give: 400/422 where a body or parameters are read, 401/403 where a token is needed, 404 where
/// the path names a resource, 500 everywhere.
struct SecurityAndErrors;

fn problem_response(description: &str, example: serde_json::Value) -> RefOr<Response> {
    let content = Content::builder()
        .schema(Some(RefOr::Ref(openapi::Ref::from_schema_name("Problem"))))
        .example(Some(example))
        .build();
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content("application/problem+json", content)
            .build(),
    )
}

/// The problem document the server answers with `code`, as an example.
fn problem_example(status: u16, code: &str, detail: &str) -> serde_json::Value {
    let title = actix_web::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    serde_json::json!({
        "type": format!("https://wenming.dev/problems/{}", code.to_lowercase().replace('_', "-")),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    })
}

impl Modify for SecurityAndErrors {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("Access token from `POST /api/v1/auth/login`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "metrics_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The `METRICS_TOKEN` setting, for `GET /metrics`"))
                    .build(),
            ),
        );

        let mut validation = problem_example(422, "VALIDATION_FAILED", "请求内容未通过校验");
        validation["errors"] = serde_json::json!([{"field": "phone", "message": "手机号须为 11 位大陆手机号"}]);
        let bad_request = problem_response(
            "Malformed JSON body or query string (`MALFORMED_JSON`, `INVALID_QUERY`)",
            problem_example(400, "MALFORMED_JSON", "请求体不是合法的 JSON"),
        );
        let unprocessable = problem_response(
            "Validation failed (`VALIDATION_FAILED`, with per-field `errors`)",
            validation,
        );
        let unauthorized = problem_response(
            "Missing access token (`MISSING_TOKEN`); expired (`TOKEN_EXPIRED`: refresh it); malformed, badly signed or otherwise unusable (`INVALID_TOKEN`); logged out, or issued before the account's roles, password or status changed (`TOKEN_REVOKED`: refresh or log in again). All but `MISSING_TOKEN` come with `WWW-Authenticate: Bearer error=\"invalid_token\"`",
            problem_example(401, "TOKEN_EXPIRED", "访问令牌已过期，请用刷新令牌换取新令牌"),
        );
        let forbidden = problem_response(
            "The caller's roles or station do not allow this (`FORBIDDEN`, …)",
            problem_example(403, "FORBIDDEN", "当前账号无权进行此操作"),
        );
        let not_found = problem_response(
            "No such resource, or one the caller may not see (`NOT_FOUND`)",
            problem_example(404, "NOT_FOUND", "资源不存在"),
        );
        let too_large = problem_response(
            "The body is too large (`PAYLOAD_TOO_LARGE`)",
            problem_example(413, "PAYLOAD_TOO_LARGE", "请求体过大"),
        );
        let media_type = problem_response(
            "The body is not JSON (`UNSUPPORTED_MEDIA_TYPE`)",
            problem_example(415, "UNSUPPORTED_MEDIA_TYPE", "请求体须为 application/json"),
        );
        let internal = problem_response(
            "Unexpected server error (`INTERNAL_ERROR`)",
            problem_example(500, "INTERNAL_ERROR", "服务器内部错误"),
        );

        for (path, item) in doc.paths.paths.iter_mut() {
            let has_path_params = path.contains('{');
            let operations = [
                item.get.as_mut(),
                item.post.as_mut(),
                item.put.as_mut(),
                item.patch.as_mut(),
                item.delete.as_mut(),
            ];
            for operation in operations.into_iter().flatten() {
                // Access-token operations; `/metrics` has its own token and never answers 403.
                let secured = operation.security.as_ref().is_some_and(|reqs| {
                    serde_json::to_value(reqs)
                        .ok()
                        .and_then(|v| v.as_array().cloned())
                        .unwrap_or_default()
                        .iter()
                        .any(|req| req.get("bearer").is_some())
                });
                let has_query = operation.parameters.as_ref().is_some_and(|ps| {
                    ps.iter().any(
                        |p| matches!(p, RefOr::T(p) if matches!(p.parameter_in, openapi::path::ParameterIn::Query)),
                    )
                });
                let has_body = operation.request_body.is_some();
                let responses = &mut operation.responses.responses;
                let mut add = |status: &str, response: &RefOr<Response>| {
                    responses.entry(status.to_owned()).or_insert_with(|| response.clone());
                };
                if has_body || has_query {
                    add("400", &bad_request);
                    add("422", &unprocessable);
                }
                if has_body {
                    add("413", &too_large);
                    add("415", &media_type);
                }
                if secured {
                    add("401", &unauthorized);
                    add("403", &forbidden);
                }
                if has_path_params {
                    add("404", &not_found);
                }
                add("500", &internal);
            }
        }
    }
}
