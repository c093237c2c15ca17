//! The ledger endpoint.

use crate::audit::types::AuditAction;
use actix_web::{HttpResponse, get, http::header, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{service, types::*, xlsx};
use crate::audit::{self, AuditEntry, Origin};
use crate::http::{AppResult, AuthUser, ValidatedQuery};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_ledger);
}

const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// `value` percent-encoded for an RFC 5987 `filename*` (UTF-8).
fn rfc5987(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `attachment` with an ASCII file name and the Chinese one (`<station>台账-<year>…`).
fn attachment(ascii: &str, chinese: &str) -> (header::HeaderName, String) {
    (
        header::CONTENT_DISPOSITION,
        format!(
            "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
            rfc5987(chinese)
        ),
    )
}

/// The year's ledger (台账)
///
/// Roles: secretary or director of the station (their own: another station is 403
/// `OTHER_STATION`); supervisors and admins name `station_id` (422 `STATION_REQUIRED`
/// without). Residents and volunteers: 403. The year is a calendar year in China time.
///
/// Sections: `activities` (活动: every activity of the station starting in the year that was
/// published, any kind, with its status, record and attendance counts), `attendance` (签到名单:
/// one row per sign-up of those activities, phones masked), `trainings` (培训: with attended,
/// excused, absent and leave-request counts), `meetings` (会议: with their minutes), `orders`
/// (服务订单: orders completed in the year, completed or rated, with rating, hours and follow-up)
/// and `leave` (请假: leave requests approved or rejected in the year).
///
/// `format=json` (default) answers every section; `format=csv` one section (`sheet`, default
/// `activities`) as UTF-8 with a byte-order mark and Chinese headers, times as
/// `YYYY-MM-DD HH:MM:SS` China time; `format=xlsx` a workbook with one worksheet per section
/// (活动, 签到名单, 培训, 会议, 服务订单, 请假), a bold frozen header row, set column widths,
/// numbers as numbers and times as Excel date-times in China time. Files come with
/// `Content-Disposition: attachment` (`ledger-<station_id>-<year>[-<sheet>].<ext>`). Each CSV or
/// xlsx download is recorded in the audit log (`ledger.exported`).
#[utoipa::path(
    tag = "ledger",
    params(LedgerQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The ledger: JSON, CSV or an .xlsx workbook by `format`",
            headers(("Content-Disposition" = String, description = "For CSV and xlsx: `attachment; filename=\"ledger-1-2026.xlsx\"; filename*=UTF-8''…`")),
            content(
                (LedgerResponse = "application/json"),
                (CsvFile = "text/csv"),
                (XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            )
        ),
        (status = 400, description = "Malformed parameters: a missing or non-numeric `year`, an unknown `format` or `sheet` (`INVALID_QUERY`)", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not staff of the station nor a supervisor (`FORBIDDEN`), or another station's staff (`OTHER_STATION`)", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such station (`NOT_FOUND`)", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`year` outside 2000–2100 (`VALIDATION_FAILED`), or a supervisor or admin named no station (`STATION_REQUIRED`)", body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/ledger")]
async fn get_ledger(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    query: ValidatedQuery<LedgerQuery>,
) -> AppResult<HttpResponse> {
    let query = query.0;
    let scope = service::scope(
        &state.db,
        &user,
        query.station_id,
        query.year,
        state.clock.now(),
        state.settings.ledger_page_rows,
    )
    .await?;
    // A file leaves the system: audited once it is built, before it is sent.
    let exported = |format: &'static str, sheet: Option<&'static str>| {
        let entry = AuditEntry::new(&user, &origin, AuditAction::LedgerExported, "station", scope.station_id)
            .station(Some(scope.station_id))
            .detail(serde_json::json!({ "format": format, "year": scope.year, "sheet": sheet }));
        audit::record(&state.db, entry, state.clock.now())
    };
    let stem = format!("ledger-{}-{}", scope.station_id, scope.year);
    let chinese = format!("{}台账-{}", scope.station_name, scope.year);
    match query.format.unwrap_or_default() {
        LedgerFormat::Json => Ok(HttpResponse::Ok().json(service::json(&state.db, &scope).await?)),
        LedgerFormat::Csv => {
            let sheet = query.sheet.unwrap_or_default();
            let body = service::csv(&state.db, &scope, sheet).await?;
            exported("csv", Some(sheet.key())).await?;
            Ok(HttpResponse::Ok()
                .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
                .insert_header(attachment(
                    &format!("{stem}-{}.csv", sheet.key()),
                    &format!("{chinese}-{}.csv", sheet.title()),
                ))
                .body(body))
        }
        LedgerFormat::Xlsx => {
            let body = xlsx::workbook(&state.db, &scope).await?;
            exported("xlsx", None).await?;
            Ok(HttpResponse::Ok()
                .insert_header((header::CONTENT_TYPE, XLSX_TYPE))
                .insert_header(attachment(&format!("{stem}.xlsx"), &format!("{chinese}.xlsx")))
                .body(body))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_percent_encoded_as_utf8() {
        assert_eq!(rfc5987("台账-2026.xlsx"), "%E5%8F%B0%E8%B4%A6-2026.xlsx");
    }
}
