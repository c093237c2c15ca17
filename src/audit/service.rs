//! Writing and reading audit entries.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use entity::audit_log;
use sea_orm::{ActiveValue::Set, ConnectionTrait, QueryOrder, QuerySelect, prelude::*};

use super::types::{AuditAction, AuditEntryResponse, AuditFilter};
use crate::http::{AppError, AppResult, AuthUser, Pagination};

/// Where a request came from: the client address (as judged with `TRUSTED_PROXIES`) and the
/// request id of its log lines. Handlers take it from the request and hand it to the services
/// that record staff actions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub address: Option<IpAddr>,
    pub request_id: Option<String>,
}

/// One entry to record: built from the actor and the request's origin, then given its target,
/// station and detail.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    actor_id: i32,
    actor_roles: String,
    action: AuditAction,
    target_type: &'static str,
    target_id: String,
    station_id: Option<i32>,
    detail: serde_json::Value,
    origin: Origin,
}

impl AuditEntry {
    /// `actor` did `action` (e.g. `order.cancelled`) to the `target_type` record `target_id`.
    pub fn new(
        actor: &AuthUser,
        origin: &Origin,
        action: AuditAction,
        target_type: &'static str,
        target_id: impl ToString,
    ) -> Self {
        let mut roles: Vec<&str> = actor.roles.iter().map(|r| r.as_str()).collect();
        roles.sort_unstable();
        AuditEntry {
            actor_id: actor.id,
            actor_roles: roles.join(","),
            action,
            target_type,
            target_id: target_id.to_string(),
            station_id: None,
            detail: serde_json::Value::Object(Default::default()),
            origin: origin.clone(),
        }
    }

    /// The station the action concerns (what a supervisor's district filter matches).
    pub fn station(mut self, station_id: Option<i32>) -> Self {
        self.station_id = station_id;
        self
    }

    /// A small JSON object saying more (old and new roles, an export's format and year, …).
    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }
}

/// Writes `entry`. Call it with the action's transaction where the action has one, so that an
/// action rolled back leaves no entry and an acknowledged action always has one.
#[tracing::instrument(skip_all, fields(action = entry.action.as_str(), target_id = %entry.target_id))]
pub async fn record(db: &impl ConnectionTrait, entry: AuditEntry, now: DateTime<Utc>) -> AppResult<()> {
    audit_log::ActiveModel {
        actor_id: Set(entry.actor_id),
        actor_roles: Set(entry.actor_roles),
        action: Set(entry.action.as_str().to_owned()),
        target_type: Set(entry.target_type.to_owned()),
        target_id: Set(entry.target_id),
        station_id: Set(entry.station_id),
        detail: Set(entry.detail.to_string()),
        client_address: Set(entry.origin.address.map(|a| a.to_string())),
        request_id: Set(entry.origin.request_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Entries the caller may read, newest first: an admin every entry, a supervisor those of the
/// stations of their district (naming another station is 403 `OTHER_STATION`); anyone else 403.
pub async fn list(
    db: &impl ConnectionTrait,
    user: &AuthUser,
    filter: &AuditFilter,
    page: &Pagination,
) -> AppResult<(Vec<AuditEntryResponse>, u64)> {
    if !user.reads_across_stations() {
        return Err(AppError::forbidden("FORBIDDEN", "只有管理员和督查人员可以查看审计日志"));
    }
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && to < from
    {
        return Err(AppError::unprocessable_field(
            "INVALID_PERIOD",
            "to",
            "结束时间不能早于开始时间",
        ));
    }
    let mut query = audit_log::Entity::find().filter(
        user.listing_station(filter.station_id)?
            .condition(audit_log::Column::StationId),
    );
    if let Some(actor_id) = filter.actor_id {
        query = query.filter(audit_log::Column::ActorId.eq(actor_id));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_log::Column::Action.eq(action.as_str()));
    }
    if let Some(target_type) = &filter.target_type {
        query = query.filter(audit_log::Column::TargetType.eq(target_type.as_str()));
    }
    if let Some(target_id) = &filter.target_id {
        query = query.filter(audit_log::Column::TargetId.eq(target_id.as_str()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_log::Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_log::Column::CreatedAt.lte(to));
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(audit_log::Column::CreatedAt)
        .order_by_desc(audit_log::Column::Id)
        .offset(page.offset())
        .limit(page.page_size())
        .all(db)
        .await?;
    Ok((rows.into_iter().map(response).collect(), total))
}

fn response(row: audit_log::Model) -> AuditEntryResponse {
    let roles = row
        .actor_roles
        .split(',')
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    AuditEntryResponse {
        id: row.id,
        actor_id: row.actor_id,
        actor_roles: roles,
        action: row.action,
        target_type: row.target_type,
        target_id: row.target_id,
        station_id: row.station_id,
        detail: serde_json::from_str(&row.detail).unwrap_or(serde_json::Value::Null),
        client_address: row.client_address,
        request_id: row.request_id,
        created_at: row.created_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::roles::Role;

    #[test]
    fn an_entry_names_the_actors_roles_sorted_and_starts_with_an_empty_detail() {
        let actor = AuthUser {
            id: 7,
            roles: vec![Role::Secretary, Role::Resident, Role::Director],
            station_id: Some(3),
            supervised: Vec::new(),
            token: Default::default(),
        };
        let origin = Origin {
            address: "198.51.100.7".parse().ok(),
            request_id: Some("r-1".into()),
        };
        let entry = AuditEntry::new(&actor, &origin, AuditAction::OrderCancelled, "order", 42);
        assert_eq!(entry.actor_id, 7);
        assert_eq!(entry.actor_roles, "director,resident,secretary");
        assert_eq!(entry.target_id, "42");
        assert_eq!(entry.station_id, None);
        assert_eq!(entry.detail, serde_json::json!({}));
        let entry = entry.station(Some(3)).detail(serde_json::json!({"reason": "x"}));
        assert_eq!(entry.station_id, Some(3));
        assert_eq!(entry.detail["reason"], "x");
        assert_eq!(entry.origin, origin);
    }
}
