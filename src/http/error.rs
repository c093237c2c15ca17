//! The one error type of the server and its mapping to `application/problem+json` (RFC 9457).
//!
//! Every refusal carries a stable upper-case `code` for programs and a Chinese `detail` for
//! people. Infrastructure failures are logged with their cause and answered with an opaque 500.

use actix_web::{HttpResponse, ResponseError, http::StatusCode, http::header};
use sea_orm::{
    DbErr, RuntimeErr, SqlErr, SqlxPostgresError, SqlxSqliteError,
    sqlx::{Error as SqlxError, error::DatabaseError},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One field that failed validation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// The request field, e.g. `phone`.
    #[schema(example = "phone")]
    pub field: String,
    /// What is wrong with it, for a person to read.
    #[schema(example = "手机号格式不正确")]
    pub message: String,
}

/// An RFC 9457 problem document, the body of every error response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "https://wenming.dev/problems/order-already-taken",
    "title": "Conflict",
    "status": 409,
    "detail": "该订单已被其他志愿者接单",
    "code": "ORDER_ALREADY_TAKEN"
}))]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP reason phrase.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong, in Chinese, for a person to read.
    pub detail: String,
    /// A stable machine-readable code, e.g. `VALIDATION_FAILED`.
    pub code: String,
    /// Per-field problems, present on 422 validation failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("bad request: {code}")]
    BadRequest { code: &'static str, detail: String },
    #[error("unauthorized: {code}")]
    Unauthorized { code: &'static str, detail: String },
    #[error("forbidden: {code}")]
    Forbidden { code: &'static str, detail: String },
    #[error("not found")]
    NotFound { code: &'static str, detail: String },
    #[error("method not allowed")]
    MethodNotAllowed { allow: String },
    #[error("conflict: {code}")]
    Conflict { code: &'static str, detail: String },
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// A 413 with its own code and message (an upload over its cap).
    #[error("too large: {code}")]
    TooLarge { code: &'static str, detail: String },
    /// A 415 with its own message (a file of a kind not accepted).
    #[error("unsupported type: {code}")]
    UnsupportedType { code: &'static str, detail: String },
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("unprocessable: {code}")]
    Unprocessable { code: &'static str, detail: String },
    /// A 422 with its own code that also names the offending field.
    #[error("unprocessable field: {code}")]
    UnprocessableField {
        code: &'static str,
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// A 429 with its own code: a limit someone else keeps (an upstream's quota).
    #[error("too many requests: {code}")]
    Throttled {
        code: &'static str,
        detail: String,
        retry_after_secs: u64,
    },
    /// A 502: a service this server depends on failed or did not answer in time.
    #[error("bad gateway: {code}")]
    BadGateway { code: &'static str, detail: String },
    /// A 503 the client may retry after `retry_after_secs` (busy, or a dependency is down).
    #[error("service unavailable: {code}")]
    Unavailable {
        code: &'static str,
        detail: String,
        retry_after_secs: u64,
    },
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            detail: detail.into(),
        }
    }
    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Unauthorized {
            code,
            detail: detail.into(),
        }
    }
    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Forbidden {
            code,
            detail: detail.into(),
        }
    }
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::NotFound {
            code: "NOT_FOUND",
            detail: detail.into(),
        }
    }
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            detail: detail.into(),
        }
    }
    pub fn unprocessable(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Unprocessable {
            code,
            detail: detail.into(),
        }
    }
    /// A 422 with its own `code` about one field: `detail` and the field's message are the same.
    pub fn unprocessable_field(code: &'static str, field: &str, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        Self::UnprocessableField {
            code,
            errors: vec![FieldError {
                field: field.to_owned(),
                message: detail.clone(),
            }],
            detail,
        }
    }
    /// A 422 about one field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }
    /// A 503 with its own `code` and a `Retry-After` of `retry_after_secs`.
    pub fn unavailable(code: &'static str, detail: impl Into<String>, retry_after_secs: u64) -> Self {
        Self::Unavailable {
            code,
            detail: detail.into(),
            retry_after_secs,
        }
    }
    /// A 429 with its own `code` and a `Retry-After` of `retry_after_secs`.
    pub fn throttled(code: &'static str, detail: impl Into<String>, retry_after_secs: u64) -> Self {
        Self::Throttled {
            code,
            detail: detail.into(),
            retry_after_secs,
        }
    }
    /// A 502 with its own `code`.
    pub fn bad_gateway(code: &'static str, detail: impl Into<String>) -> Self {
        Self::BadGateway {
            code,
            detail: detail.into(),
        }
    }
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self::Internal(cause.into())
    }

    /// The stable machine code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. }
            | Self::Unauthorized { code, .. }
            | Self::Forbidden { code, .. }
            | Self::NotFound { code, .. }
            | Self::Conflict { code, .. }
            | Self::Unprocessable { code, .. }
            | Self::UnprocessableField { code, .. }
            | Self::Throttled { code, .. }
            | Self::BadGateway { code, .. }
            | Self::TooLarge { code, .. }
            | Self::UnsupportedType { code, .. }
            | Self::Unavailable { code, .. } => code,
            Self::MethodNotAllowed { .. } => "METHOD_NOT_ALLOWED",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Self::Validation(_) => "VALIDATION_FAILED",
            Self::TooManyRequests { .. } => "TOO_MANY_REQUESTS",
            Self::Internal(_) => "INTERNAL_ERROR",
        }
    }

    fn detail(&self) -> String {
        match self {
            Self::BadRequest { detail, .. }
            | Self::Unauthorized { detail, .. }
            | Self::Forbidden { detail, .. }
            | Self::NotFound { detail, .. }
            | Self::Conflict { detail, .. }
            | Self::Unprocessable { detail, .. }
            | Self::UnprocessableField { detail, .. }
            | Self::Throttled { detail, .. }
            | Self::BadGateway { detail, .. }
            | Self::TooLarge { detail, .. }
            | Self::UnsupportedType { detail, .. }
            | Self::Unavailable { detail, .. } => detail.clone(),
            Self::MethodNotAllowed { .. } => "该路径不支持此请求方法".into(),
            Self::PayloadTooLarge => "请求体过大".into(),
            Self::UnsupportedMediaType => "请求体须为 application/json".into(),
            Self::Validation(_) => "请求内容未通过校验".into(),
            Self::TooManyRequests { .. } => "请求过于频繁，请稍后再试".into(),
            Self::Internal(_) => "服务器内部错误".into(),
        }
    }

    /// The problem document this error answers with.
    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let code = self.code();
        Problem {
            kind: format!("https://wenming.dev/problems/{}", code.to_lowercase().replace('_', "-")),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.detail(),
            code: code.to_owned(),
            errors: match self {
                Self::Validation(errors) | Self::UnprocessableField { errors, .. } => Some(errors.clone()),
                _ => None,
            },
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge | Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType | Self::UnsupportedType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation(_) | Self::Unprocessable { .. } | Self::UnprocessableField { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::TooManyRequests { .. } | Self::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::BadGateway { .. } => StatusCode::BAD_GATEWAY,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(cause) = self {
            tracing::error!(error = format!("{cause:#}"), "internal error");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        match self {
            Self::TooManyRequests { retry_after_secs }
            | Self::Throttled { retry_after_secs, .. }
            | Self::Unavailable { retry_after_secs, .. } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            // RFC 6750 §3: a token that was sent but cannot be used is `invalid_token`; a
            // request without one, or a failed login, gets the bare challenge.
            Self::Unauthorized { code, .. } => {
                let challenge = match *code {
                    "INVALID_TOKEN" | "TOKEN_EXPIRED" | "TOKEN_REVOKED" => r#"Bearer error="invalid_token""#,
                    _ => "Bearer",
                };
                response.insert_header((header::WWW_AUTHENTICATE, challenge));
            }
            Self::MethodNotAllowed { allow } => {
                response.insert_header((header::ALLOW, allow.clone()));
            }
            _ => {}
        }
        response.body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

/// How long a client is asked to wait before retrying when the database is unavailable.
const DATABASE_RETRY_AFTER_SECS: u64 = 2;

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        if database_unavailable(&err) {
            tracing::warn!(error = %err, "database unavailable");
            return Self::unavailable(
                "DATABASE_UNAVAILABLE",
                "数据库暂时繁忙或不可用，请稍后重试",
                DATABASE_RETRY_AFTER_SECS,
            );
        }
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => Self::conflict("ALREADY_EXISTS", "记录已存在"),
            _ => match err {
                DbErr::RecordNotFound(_) => Self::not_found("资源不存在"),
                other => Self::Internal(other.into()),
            },
        }
    }
}

/// Whether `err` says the database could not serve the request now (no pooled connection in
/// time, no connection at all, a lock held past the busy timeout, the server shutting down)
/// rather than that the request itself was wrong: such failures are worth a retry later.
pub fn database_unavailable(err: &DbErr) -> bool {
    let runtime = match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Exec(runtime) | DbErr::Query(runtime) => runtime,
        _ => return false,
    };
    let RuntimeErr::SqlxError(sqlx_err) = runtime else {
        return false;
    };
    match sqlx_err.as_ref() {
        SqlxError::PoolTimedOut
        | SqlxError::PoolClosed
        | SqlxError::Io(_)
        | SqlxError::Tls(_)
        | SqlxError::WorkerCrashed => true,
        SqlxError::Database(db_err) => {
            if let Some(sqlite) = db_err.try_downcast_ref::<SqlxSqliteError>() {
                sqlite.code().is_some_and(|code| sqlite_busy(&code))
            } else if let Some(postgres) = db_err.try_downcast_ref::<SqlxPostgresError>() {
                postgres_unavailable(postgres.code())
            } else {
                false
            }
        }
        _ => false,
    }
}

/// SQLITE_BUSY or SQLITE_LOCKED (the primary result code is the low byte of the extended one):
/// another connection held the lock past the busy timeout.
fn sqlite_busy(code: &str) -> bool {
    code.parse::<i32>().is_ok_and(|code| matches!(code & 0xff, 5 | 6))
}

/// PostgreSQL SQLSTATEs that mean "busy or down, try again": connection exceptions (class 08),
/// insufficient resources (53), lock not available, serialization failure, deadlock, and the
/// server shutting down or starting (57P01–57P03).
fn postgres_unavailable(code: &str) -> bool {
    code.starts_with("08")
        || code.starts_with("53")
        || matches!(code, "55P03" | "40001" | "40P01" | "57P01" | "57P02" | "57P03")
}

impl From<validator::ValidationErrors> for AppError {
    fn from(errors: validator::ValidationErrors) -> Self {
        let mut fields = Vec::new();
        collect_field_errors("", &errors, &mut fields);
        fields.sort_by(|a, b| a.field.cmp(&b.field));
        Self::Validation(fields)
    }
}

fn collect_field_errors(prefix: &str, errors: &validator::ValidationErrors, out: &mut Vec<FieldError>) {
    use validator::ValidationErrorsKind;
    for (field, kind) in errors.errors() {
        let name = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for error in list {
                    let message = error
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| format!("{name} 不合法"));
                    out.push(FieldError {
                        field: name.clone(),
                        message,
                    });
                }
            }
            ValidationErrorsKind::Struct(inner) => collect_field_errors(&name, inner, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect_field_errors(&format!("{name}[{index}]"), inner, out);
                }
            }
        }
    }
}

/// Shorthand for handler and service results.
pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn sqlx(err: SqlxError) -> RuntimeErr {
        RuntimeErr::SqlxError(Arc::new(err))
    }

    #[test]
    fn pool_and_connection_failures_are_unavailable() {
        assert!(database_unavailable(&DbErr::ConnectionAcquire(
            sea_orm::ConnAcquireErr::Timeout
        )));
        assert!(database_unavailable(&DbErr::Conn(sqlx(SqlxError::PoolClosed))));
        assert!(database_unavailable(&DbErr::Query(sqlx(SqlxError::Io(
            std::io::ErrorKind::ConnectionReset.into()
        )))));
        assert!(database_unavailable(&DbErr::Exec(sqlx(SqlxError::PoolTimedOut))));
    }

    #[test]
    fn request_errors_are_not_unavailable() {
        assert!(!database_unavailable(&DbErr::RecordNotFound("x".into())));
        assert!(!database_unavailable(&DbErr::Query(sqlx(SqlxError::RowNotFound))));
        assert!(!database_unavailable(&DbErr::Custom("x".into())));
    }

    #[test]
    fn sqlite_busy_and_locked_codes_are_unavailable_others_are_not() {
        // SQLITE_BUSY, SQLITE_LOCKED, SQLITE_BUSY_SNAPSHOT (517), SQLITE_BUSY_TIMEOUT (773)
        for code in ["5", "6", "517", "773"] {
            assert!(sqlite_busy(code), "{code}");
        }
        // SQLITE_CONSTRAINT_UNIQUE (2067), SQLITE_CONSTRAINT (19), SQLITE_ERROR (1)
        for code in ["2067", "19", "1"] {
            assert!(!sqlite_busy(code), "{code}");
        }
    }

    #[test]
    fn postgres_shutdown_and_connection_states_are_unavailable_constraint_states_are_not() {
        for code in ["08006", "08001", "57P01", "57P03", "53300", "55P03", "40001", "40P01"] {
            assert!(postgres_unavailable(code), "{code}");
        }
        for code in ["23505", "23503", "22P02", "42P01"] {
            assert!(!postgres_unavailable(code), "{code}");
        }
    }

    #[test]
    fn unavailable_answers_problem_json_with_retry_after() {
        let response = AppError::unavailable("DATABASE_UNAVAILABLE", "忙", 2).error_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "2");
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE).unwrap(),
            "application/problem+json"
        );
    }
}
