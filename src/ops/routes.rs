//! Liveness, readiness and metrics.

use actix_web::{HttpRequest, HttpResponse, get, http::header, web};
use serde::Serialize;
use subtle::ConstantTimeEq;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::http::{AppError, AppResult};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}

/// A health answer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct Health {
    /// `ok`.
    pub status: String,
}

/// Liveness
///
/// The process is up and serving.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Alive", body = Health)))]
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok".into() })
}

/// Readiness
///
/// The database answers and the process is not stopping; 503 (`SERVICE_UNAVAILABLE`) when the
/// database does not answer, or from SIGTERM on (while the process drains, see
/// `SHUTDOWN_DRAIN_SECS`).
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "The database is unreachable, or the process is stopping", body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    if state.stopping.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(AppError::unavailable("SERVICE_UNAVAILABLE", "服务暂不可用", 1));
    }
    let ping = tokio::time::timeout(std::time::Duration::from_secs(3), state.db.ping()).await;
    match ping {
        Ok(Ok(())) => Ok(HttpResponse::Ok().json(Health { status: "ok".into() })),
        _ => Err(AppError::unavailable("SERVICE_UNAVAILABLE", "服务暂不可用", 1)),
    }
}

/// Whether this request may read the metrics: with `METRICS_TOKEN` set, it must carry that
/// bearer token (compared in constant time); without it, only a direct loopback caller may, and
/// everyone else is told there is nothing here.
fn metrics_access(req: &HttpRequest, token: Option<&str>) -> AppResult<()> {
    match token {
        Some(expected) => {
            let given = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or_else(|| AppError::unauthorized("MISSING_TOKEN", "缺少访问令牌"))?;
            if bool::from(given.trim().as_bytes().ct_eq(expected.as_bytes())) {
                Ok(())
            } else {
                Err(AppError::unauthorized("INVALID_TOKEN", "访问令牌无效"))
            }
        }
        None => {
            let loopback = req.peer_addr().is_some_and(|a| a.ip().is_loopback());
            // A proxy on the same host makes every caller look local: a forwarded request is not.
            let forwarded = ["x-forwarded-for", "forwarded", "x-real-ip"]
                .iter()
                .any(|name| req.headers().contains_key(*name));
            if loopback && !forwarded {
                Ok(())
            } else {
                Err(AppError::not_found("没有这个接口"))
            }
        }
    }
}

/// Prometheus metrics
///
/// Request counts and latency histograms by route and status, and database pool usage, in the
/// Prometheus text format. With `METRICS_TOKEN` set, it needs `Authorization: Bearer <METRICS_TOKEN>`;
/// without it, it answers only direct loopback callers and is 404 to anyone else.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Metrics", content_type = "text/plain", body = String),
        (status = 401, description = "`METRICS_TOKEN` is set and the request lacks it (`MISSING_TOKEN`) or carries another (`INVALID_TOKEN`)", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`METRICS_TOKEN` is unset and the caller is not a direct loopback caller (`NOT_FOUND`)", body = crate::http::Problem, content_type = "application/problem+json"),
    ),
    security((), ("metrics_token" = []))
)]
#[get("/metrics")]
async fn metrics(state: web::Data<AppState>, req: HttpRequest) -> AppResult<HttpResponse> {
    metrics_access(&req, state.settings.metrics_token.as_deref())?;
    state.metrics.observe_pool(&state.db, state.settings.db_max_connections);
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render()))
}
