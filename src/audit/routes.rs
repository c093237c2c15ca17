//! `GET /audit-log`. There is deliberately no route that writes, changes or deletes entries.

use actix_web::{HttpResponse, get, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{service, types::*};
use crate::http::{AppResult, AuthUser, Page, Pagination, Problem, ValidatedQuery};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_audit_log);
}

/// List the audit log
///
/// Staff actions, newest first: role grants, new staff accounts, approvals and rejections,
/// cancellations, re-dispatches, hours corrections, ledger exports and reads of a resident's
/// full phone number; who acted (with their roles at the time), on what, when and from which
/// address. Roles: admin (every entry); supervisor (entries about the stations of their
/// district; naming another station is 403 `OTHER_STATION`). Entries cannot be changed or
/// deleted: this is the only route of the log.
#[utoipa::path(
    tag = "audit",
    params(Pagination, AuditFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of entries, newest first", body = Page<AuditEntryResponse>),
        (status = 400, description = "A filter of the wrong type, e.g. `from` not RFC 3339 (`INVALID_QUERY`)", body = Problem, content_type = "application/problem+json",
            example = json!({"type": "https://wenming.dev/problems/invalid-query", "title": "Bad Request", "status": 400, "detail": "查询参数不正确: from", "code": "INVALID_QUERY"})),
        (status = 403, description = "Neither admin nor supervisor (`FORBIDDEN`), or a station outside the supervisor's district (`OTHER_STATION`)", body = Problem, content_type = "application/problem+json",
            example = json!({"type": "https://wenming.dev/problems/other-station", "title": "Forbidden", "status": 403, "detail": "只能查看本实践站（或本辖区）的数据", "code": "OTHER_STATION"})),
        (status = 422, description = "`to` before `from` (`INVALID_PERIOD`), `page_size` over 100 or an empty text filter (`VALIDATION_FAILED`)", body = Problem, content_type = "application/problem+json",
            example = json!({"type": "https://wenming.dev/problems/invalid-period", "title": "Unprocessable Entity", "status": 422, "detail": "结束时间不能早于开始时间", "code": "INVALID_PERIOD", "errors": [{"field": "to", "message": "结束时间不能早于开始时间"}]})),
    )
)]
#[get("/audit-log")]
async fn list_audit_log(
    state: web::Data<AppState>,
    user: AuthUser,
    page: ValidatedQuery<Pagination>,
    filter: ValidatedQuery<AuditFilter>,
) -> AppResult<HttpResponse> {
    let (items, total) = service::list(&state.db, &user, &filter.0, &page.0).await?;
    Ok(HttpResponse::Ok().json(Page::new(items, &page.0, total)))
}
