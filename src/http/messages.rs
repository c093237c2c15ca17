//! English texts of the problem documents, one sentence per error `code`, used when a request's
//! `Accept-Language` prefers English (see [`super::language`]). Chinese, the text each error is
//! built with, stays the default. A unit test fails when a code used anywhere in `src/` has no
//! entry here.

/// Every error `code` the server can answer, with its English `detail`. The OpenAPI document
/// takes `Problem.code`'s enum and its reference table of codes from here.
pub const ERROR_CODES: &[(&str, &str)] = &[
    // Requests and plumbing.
    (
        "VALIDATION_FAILED",
        "The request did not pass validation; see `errors`.",
    ),
    ("MALFORMED_JSON", "The request body is not valid JSON."),
    ("MALFORMED_BODY", "The request body could not be read."),
    ("INVALID_QUERY", "A query parameter is not valid."),
    ("NOT_FOUND", "The resource does not exist."),
    ("METHOD_NOT_ALLOWED", "This path does not support the request method."),
    ("PAYLOAD_TOO_LARGE", "The request body is too large."),
    (
        "UNSUPPORTED_MEDIA_TYPE",
        "This content type is not accepted here: JSON bodies, and for uploads JPEG, PNG, WebP or PDF files.",
    ),
    ("TOO_MANY_REQUESTS", "Too many requests; please try again later."),
    ("INTERNAL_ERROR", "Internal server error."),
    ("BUSY", "The server is busy; please try again later."),
    // Uploads.
    ("UPLOAD_TOO_LARGE", "The file is larger than this server accepts."),
    ("IMAGE_TOO_LARGE", "The image has more pixels than this server accepts."),
    ("IMAGE_UNDECODABLE", "The image could not be read."),
    (
        "UPLOAD_UNKNOWN",
        "No upload of yours with this id is waiting to be attached.",
    ),
    (
        "UPLOAD_ALREADY_ATTACHED",
        "This upload is already attached to something else.",
    ),
    // Live notifications.
    (
        "INVALID_LAST_EVENT_ID",
        "Last-Event-ID must be the id of a notification.",
    ),
    (
        "TOO_MANY_STREAMS",
        "Too many notification streams are open for this account; close one first.",
    ),
    ("SERVICE_UNAVAILABLE", "The service is temporarily unavailable."),
    (
        "DATABASE_UNAVAILABLE",
        "The database is busy or unavailable; please try again later.",
    ),
    ("ALREADY_EXISTS", "The record already exists."),
    (
        "METHOD_OVERRIDE_NOT_ALLOWED",
        "X-HTTP-Method-Override is only accepted on POST requests, with PATCH, PUT or DELETE.",
    ),
    (
        "INVALID_IDEMPOTENCY_KEY",
        "Idempotency-Key must be 1 to 255 visible ASCII characters.",
    ),
    (
        "IDEMPOTENCY_KEY_REUSED",
        "This Idempotency-Key was already used for a different request.",
    ),
    ("IDEMPOTENCY_IN_PROGRESS", "The same request is still being processed."),
    (
        "CORS_ORIGIN_REFUSED",
        "Cross-origin requests from this origin are not allowed.",
    ),
    (
        "CORS_PREFLIGHT_INVALID",
        "The cross-origin preflight request is not valid.",
    ),
    // Authentication and permissions.
    ("MISSING_TOKEN", "An access token is required; please log in."),
    ("INVALID_TOKEN", "The access token is not valid."),
    (
        "TOKEN_EXPIRED",
        "The access token has expired; exchange the refresh token for a new one.",
    ),
    (
        "TOKEN_REVOKED",
        "The access token is no longer valid (logged out, or the account changed); refresh it or log in again.",
    ),
    ("INVALID_CREDENTIALS", "Wrong phone number or password."),
    (
        "INVALID_REFRESH_TOKEN",
        "The refresh token is invalid or no longer valid; please log in again.",
    ),
    (
        "REFRESH_TOKEN_REUSED",
        "The refresh token was already used; for safety this login has been ended everywhere, please log in again.",
    ),
    ("FORBIDDEN", "This account is not allowed to do this."),
    (
        "OTHER_STATION",
        "Only data of your own station (or district) can be seen or managed.",
    ),
    ("DIRECTOR_REQUIRED", "This must be approved by the station director."),
    ("ROLE_NOT_GRANTABLE", "You may not grant or revoke this role."),
    (
        "LAST_ADMIN",
        "The only administrator cannot lose the administrator role.",
    ),
    ("PHONE_TAKEN", "This phone number is already registered."),
    ("STATION_REQUIRED", "A station must be named (station_id)."),
    (
        "DISTRICT_REQUIRED",
        "A supervisor account must name the district it supervises (district).",
    ),
    // WeChat.
    ("WECHAT_DISABLED", "WeChat login is not enabled on this service."),
    ("WECHAT_NOT_BOUND", "This account is not bound to WeChat."),
    (
        "WECHAT_BINDING_REQUIRED",
        "Bind this account to WeChat before subscribing to messages.",
    ),
    (
        "WECHAT_TEMPLATE_UNKNOWN",
        "This server sends no subscription messages with that template.",
    ),
    (
        "WECHAT_ALREADY_BOUND",
        "This WeChat user or the account with this phone is already bound to another account or WeChat user; unbind first.",
    ),
    (
        "WECHAT_CODE_INVALID",
        "The WeChat code is invalid, expired or already used; please get a new one.",
    ),
    (
        "WECHAT_PHONE_UNSUPPORTED",
        "The WeChat phone number is not a mainland mobile number.",
    ),
    (
        "WECHAT_TICKET_INVALID",
        "The binding ticket is invalid or expired; please log in with WeChat again.",
    ),
    (
        "WECHAT_RATE_LIMITED",
        "WeChat's API is being called too often; please try again later.",
    ),
    (
        "WECHAT_UNAVAILABLE",
        "The WeChat service is temporarily unavailable; please try again later.",
    ),
    // Activities, sign-ups and attendance.
    (
        "ACTIVITY_STATE_CONFLICT",
        "The activity's current state does not allow this.",
    ),
    (
        "ACTIVITY_START_PASSED",
        "The activity's start time has passed, so it can no longer be approved; change the time and submit again.",
    ),
    ("ACTIVITY_STARTED", "The activity has already started."),
    (
        "ACTIVITY_NOT_RECORDED",
        "The activity has not been recorded yet; record it before publishing it as news.",
    ),
    (
        "ALREADY_PUBLISHED",
        "The record of this activity is already published as news.",
    ),
    ("SIGNUP_CLOSED", "Sign-up is not open now."),
    ("ALREADY_SIGNED_UP", "You have already signed up for this activity."),
    (
        "AUDIENCE_NOT_ALLOWED",
        "This activity is open to a specific audience only.",
    ),
    ("NOT_SIGNED_UP", "There is no confirmed sign-up for this activity."),
    (
        "NOT_CONFIRMED",
        "A waitlisted sign-up needs no leave request; cancel the sign-up if you cannot attend.",
    ),
    (
        "CHECKIN_WINDOW_CLOSED",
        "Check-in is open from 30 minutes before the start until the end of the activity.",
    ),
    ("INVALID_CHECKIN_CODE", "The check-in code is wrong or has expired."),
    (
        "LOCATION_REQUIRED",
        "This check-in is limited to a place; allow access to your location and try again.",
    ),
    ("OUTSIDE_GEOFENCE", "You are outside the check-in area of the activity."),
    (
        "SCHEDULE_CONFLICT",
        "You are already checked in to another activity at the same time.",
    ),
    ("ALREADY_CHECKED_IN", "Already checked in."),
    ("ALREADY_CHECKED_OUT", "You have already checked out."),
    ("NOT_CHECKED_IN", "Please check in first."),
    (
        "HOST_CANNOT_CONFIRM",
        "The host cannot confirm attendance and hours of an activity they host; the secretary (or the director) must.",
    ),
    (
        "OWN_ATTENDANCE",
        "You took part in this activity and cannot confirm your own attendance and hours.",
    ),
    // Leave.
    (
        "LEAVE_ALREADY_REQUESTED",
        "There is already a pending or approved leave request.",
    ),
    ("LEAVE_NOT_PENDING", "This leave request has already been decided."),
    ("OWN_LEAVE_REQUEST", "You cannot decide your own leave request."),
    // Hours.
    ("OWN_HOURS", "You cannot correct your own service hours."),
    (
        "HOURS_BELOW_ZERO",
        "After this correction the service hours would be below zero.",
    ),
    // Volunteers and teams.
    ("ALREADY_VOLUNTEER", "You are already a volunteer."),
    (
        "APPLICATION_PENDING",
        "You already have a volunteer application awaiting review.",
    ),
    ("APPLICATION_NOT_PENDING", "This application has already been reviewed."),
    (
        "SELF_APPROVAL",
        "You cannot review your own volunteer application; another staff member of the station must.",
    ),
    ("ALREADY_MEMBER", "This volunteer is already in the team."),
    ("TEAM_NAME_TAKEN", "The station already has a team with this name."),
    // Orders.
    (
        "ORDER_ALREADY_TAKEN",
        "The order was taken by another volunteer or can no longer be accepted.",
    ),
    ("ORDER_ALREADY_DECLINED", "You have already declined this order."),
    ("ORDER_ALREADY_RATED", "The order has already been rated."),
    (
        "ORDER_NOT_CANCELLABLE",
        "The order cannot be cancelled in its current state.",
    ),
    (
        "ORDER_NOT_COMPLETED",
        "The order is not completed yet and cannot be rated.",
    ),
    (
        "ORDER_NOT_SUBMITTED",
        "Only orders awaiting review can be dispatched or rejected.",
    ),
    (
        "ORDER_NOT_REDISPATCHABLE",
        "Only orders waiting to be accepted (in the pool or assigned) can be redispatched.",
    ),
    ("NO_FOLLOW_UP_PENDING", "The order has no pending follow-up."),
    ("INVALID_ORDER_STATE", "The order's current state does not allow this."),
    // Plans, reports and inspections.
    (
        "PLAN_STATE_CONFLICT",
        "The annual plan's current state does not allow this.",
    ),
    (
        "PLAN_ALREADY_APPROVED",
        "The station already has an approved annual plan for this year.",
    ),
    ("PLAN_NOT_APPROVED", "Only an approved annual plan can be linked."),
    (
        "PLAN_OTHER_STATION",
        "Only an annual plan of your own station can be linked.",
    ),
    (
        "PLAN_ITEM_MISMATCH",
        "The plan item does not exist or does not belong to the chosen annual plan.",
    ),
    ("INSPECTION_CLOSED", "This inspection is closed."),
    (
        "ITEMS_OPEN",
        "Some rectification items are still open; the inspection cannot be closed.",
    ),
    (
        "ITEM_ALREADY_RECTIFIED",
        "This rectification item is already rectified.",
    ),
    ("INVALID_PERIOD", "The end of the period cannot be before its start."),
    ("PERIOD_TOO_LONG", "The period is too long."),
    // Commendations.
    (
        "ALREADY_NOMINATED",
        "This volunteer or team has already been nominated this year.",
    ),
    ("COMMENDATION_NOT_PENDING", "This nomination has already been decided."),
    (
        "COMMENDATION_CLOSED",
        "This nomination's public notice has ended or it was rejected.",
    ),
    ("OWN_NOMINATION", "You cannot approve a nomination you made."),
    (
        "NOT_UNDER_NOTICE",
        "This nomination is not under public notice; objections are not accepted.",
    ),
    (
        "ALREADY_OBJECTED",
        "You have already raised an objection to this nomination.",
    ),
    ("ALREADY_ANSWERED", "This objection has already been answered."),
    // Stations and platforms.
    ("STATION_NAME_TAKEN", "A station with this name already exists."),
    ("PLATFORM_EXISTS", "A platform with this name already exists."),
];

/// The English `detail` of the error with this `code`.
pub fn english_detail(code: &str) -> Option<&'static str> {
    ERROR_CODES
        .iter()
        .find(|(known, _)| *known == code)
        .map(|(_, detail)| *detail)
}

/// The English `message` of a field error: the detail of its own code when the refusal has
/// one (a 422 about one field), else a sentence naming the field.
pub fn english_field_message(code: &str, field: &str) -> String {
    match english_detail(code) {
        Some(detail) if code != "VALIDATION_FAILED" => detail.to_owned(),
        _ => format!("The field `{field}` is not valid."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{collections::BTreeSet, path::Path};

    fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// Every error code the source names: the first argument of every `AppError` constructor,
    /// every `code: "…"`, and every other upper-case snake-case string literal (codes chosen by
    /// a `match` and passed on in a variable). Settings names (`config.rs`) are not codes.
    fn codes_in_source() -> BTreeSet<String> {
        let constructor = regex::Regex::new(
            r#"(?:bad_request|unauthorized|forbidden|conflict|unprocessable_field|unprocessable|unavailable|throttled|bad_gateway)\(\s*"([A-Z][A-Z0-9_]*)""#,
        )
        .unwrap();
        let field = regex::Regex::new(r#"code:\s*"([A-Z][A-Z0-9_]*)""#).unwrap();
        let snake = regex::Regex::new(r#""([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)""#).unwrap();
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let mut codes = BTreeSet::new();
        for file in files {
            let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if name == "config.rs" || name == "messages.rs" {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            for pattern in [&constructor, &field, &snake] {
                for capture in pattern.captures_iter(&text) {
                    codes.insert(capture[1].to_owned());
                }
            }
        }
        codes.remove("CARGO_PKG_VERSION");
        codes
    }

    #[test]
    fn every_code_in_the_source_has_an_english_detail() {
        let codes = codes_in_source();
        // The scan itself must find the codes, or the test proves nothing.
        for known in [
            "NOT_FOUND",
            "FORBIDDEN",
            "BUSY",
            "ORDER_ALREADY_TAKEN",
            "WECHAT_DISABLED",
        ] {
            assert!(codes.contains(known), "{known} not found by the scan");
        }
        let missing: Vec<_> = codes.iter().filter(|c| english_detail(c).is_none()).collect();
        assert!(missing.is_empty(), "codes without an English detail: {missing:?}");
    }

    /// `Problem.code`'s enum in the OpenAPI document is this table: a code no longer answered
    /// must leave it, and none may appear twice.
    #[test]
    fn every_listed_code_is_answered_somewhere_and_listed_once() {
        let codes = codes_in_source();
        let mut seen = BTreeSet::new();
        for (code, _) in ERROR_CODES {
            assert!(seen.insert(*code), "{code} is listed twice");
            assert!(codes.contains(*code), "{code} is listed but nothing answers it");
        }
    }

    #[test]
    fn field_messages_use_the_code_of_a_one_field_refusal_else_name_the_field() {
        assert_eq!(
            english_field_message("INVALID_PERIOD", "to"),
            english_detail("INVALID_PERIOD").unwrap()
        );
        assert_eq!(
            english_field_message("VALIDATION_FAILED", "phone"),
            "The field `phone` is not valid."
        );
    }
}
