//! Periodic jobs (expiring open orders past their deadline, confirming unrated hours, starting
//! activities, cancelling activities never approved by their start, finishing activities left
//! open past their end, expiring leave still pending at the start, reminding signed-up people,
//! making commendations final when their public notice ends, forgetting logged-out access tokens
//! once they have expired anyway, deleting uploads never attached to anything).
//! Each job is one conditional statement per row (or an insert-claim on a unique key), so running
//! it in several processes at once, or twice, changes nothing the second time.

use std::time::Duration;

use actix_web::web;

use crate::http::AppResult;
use crate::state::AppState;

/// What one run did: a job name and how many rows it changed.
pub type JobReport = Vec<(&'static str, u64)>;

/// Runs every job once, at the state's clock time. Tests call it after moving the clock.
pub async fn run_once(state: &AppState) -> AppResult<JobReport> {
    let mut report: JobReport = Vec::new();
    let now = state.clock.now();
    report.push((
        "start_activities",
        crate::activities::service::start_due(&state.db, now).await?,
    ));
    report.push((
        "activities_cancel_unapproved",
        crate::activities::service::cancel_unapproved(&state.db, now).await?,
    ));
    report.push((
        "activities_finish_overdue",
        crate::activities::service::finish_overdue(
            &state.db,
            chrono::Duration::from_std(state.settings.activity_finish_grace).unwrap_or(chrono::Duration::hours(12)),
            now,
        )
        .await?,
    ));
    report.push((
        "leave_expire",
        crate::leave::service::expire_started(&state.db, now).await?,
    ));
    report.push((
        "activity_reminders",
        crate::activities::reminders::send_due(&state.db, now).await?,
    ));
    report.push((
        "orders_expire",
        crate::orders::service::expire_overdue(&state.db, now).await?,
    ));
    report.push((
        "orders_escalate",
        crate::orders::service::escalate_overdue(&state.db, crate::orders::service::Timing::new(&state.settings, now))
            .await?,
    ));
    report.push((
        "orders_auto_confirm",
        crate::orders::service::auto_confirm(&state.db, now).await?,
    ));
    report.push((
        "commendations_finalize",
        crate::commendations::service::finalize_ended(&state.db, now).await?,
    ));
    report.push((
        "revoked_access_tokens_purge",
        crate::auth::service::purge_revoked_access_tokens(&state.db, now).await?,
    ));
    report.push((
        "uploads_purge_unattached",
        crate::uploads::service::purge_unattached(
            &state.db,
            &state.uploads,
            chrono::Duration::from_std(state.settings.uploads.unattached_ttl).unwrap_or(chrono::Duration::days(1)),
            now,
        )
        .await?,
    ));
    Ok(report)
}

/// Runs the jobs every `interval` until the process ends.
pub fn spawn(state: web::Data<AppState>, interval: Duration) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match run_once(&state).await {
                Ok(report) => {
                    for (job, changed) in report.into_iter().filter(|(_, n)| *n > 0) {
                        tracing::info!(job, changed, "background job");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "background jobs failed; retrying next tick"),
            }
        }
    });
}
