//! Account queries and changes.

use crate::audit::types::AuditAction;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{user, user_role};
use sea_orm::{
    ActiveValue::Set, Condition, ConnectionTrait, QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
    prelude::*,
};

use super::types::UserResponse;
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::roles::{Role, StationScope};
use crate::http::{AppError, AppResult, AuthUser, hygiene::like_contains};

/// Fields of a new account.
pub struct NewUser {
    pub phone: String,
    pub password_hash: String,
    pub name: String,
    pub station_id: Option<i32>,
    pub roles: Vec<Role>,
    pub district: Option<String>,
}

/// Always includes `resident`, sorted and without repeats.
pub fn normalize_roles(roles: &[Role]) -> Vec<Role> {
    let mut roles: Vec<Role> = roles.iter().copied().chain([Role::Resident]).collect();
    roles.sort();
    roles.dedup();
    roles
}

pub async fn roles_of(db: &impl ConnectionTrait, user_id: i32) -> AppResult<Vec<Role>> {
    let rows = user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(user_id))
        .all(db)
        .await?;
    let mut roles: Vec<Role> = rows.iter().filter_map(|r| r.role.parse().ok()).collect();
    roles.sort();
    Ok(roles)
}

pub fn response(model: user::Model, roles: Vec<Role>) -> UserResponse {
    UserResponse {
        id: model.id,
        phone: model.phone,
        name: model.name,
        roles,
        station_id: model.station_id,
        district: model.district,
        created_at: model.created_at,
    }
}

pub async fn find(db: &impl ConnectionTrait, user_id: i32) -> AppResult<user::Model> {
    user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("用户不存在"))
}

pub async fn profile(db: &impl ConnectionTrait, user_id: i32) -> AppResult<UserResponse> {
    let model = find(db, user_id).await?;
    let roles = roles_of(db, user_id).await?;
    Ok(response(model, roles))
}

pub async fn find_by_phone(db: &impl ConnectionTrait, phone: &str) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Phone.eq(phone))
        .one(db)
        .await?)
}

/// 409 `PHONE_TAKEN`.
pub fn phone_taken() -> AppError {
    AppError::conflict("PHONE_TAKEN", "该手机号已注册")
}

/// Creates an account with its roles in one transaction; a taken phone is 409 `PHONE_TAKEN`,
/// also when two requests race for it (the unique index decides). An account made by staff
/// (`by`) is audited as `user.created`.
pub async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    new: NewUser,
    by: Option<(&AuthUser, &Origin)>,
    now: DateTime<Utc>,
) -> AppResult<UserResponse> {
    let txn = db.begin().await?;
    let inserted = user::ActiveModel {
        phone: Set(new.phone),
        password_hash: Set(new.password_hash),
        name: Set(new.name),
        station_id: Set(new.station_id),
        district: Set(new.district),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| match AppError::from(e) {
        AppError::Conflict { .. } => phone_taken(),
        other => other,
    })?;
    let roles = normalize_roles(&new.roles);
    write_roles(&txn, inserted.id, &roles).await?;
    if let Some((actor, origin)) = by {
        let entry = AuditEntry::new(actor, origin, AuditAction::UserCreated, "user", inserted.id)
            .station(inserted.station_id)
            .detail(serde_json::json!({ "roles": roles }));
        audit::record(&txn, entry, now).await?;
    }
    txn.commit().await?;
    Ok(response(inserted, roles))
}

async fn write_roles(db: &impl ConnectionTrait, user_id: i32, roles: &[Role]) -> AppResult<()> {
    user_role::Entity::insert_many(roles.iter().map(|role| user_role::ActiveModel {
        user_id: Set(user_id),
        role: Set(role.as_str().to_owned()),
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Replaces the user's roles with `roles` (plus `resident`), and the supervised district when
/// one is given; the user's current access tokens stop working on their next request. Audited as
/// `user.roles_changed` with the roles before and after, under the user's station.
pub async fn set_roles<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    (actor, origin): (&AuthUser, &Origin),
    target: &user::Model,
    roles: &[Role],
    district: Option<String>,
    now: DateTime<Utc>,
) -> AppResult<Vec<Role>> {
    let user_id = target.id;
    let roles = normalize_roles(roles);
    let txn = db.begin().await?;
    if let Some(district) = &district {
        user::Entity::update_many()
            .col_expr(user::Column::District, Expr::value(district.clone()))
            .filter(user::Column::Id.eq(user_id))
            .exec(&txn)
            .await?;
    }
    let removes_admin = !roles.contains(&Role::Admin);
    if removes_admin {
        // Two admins removing each other at once must not both succeed: every admin grant is
        // locked (PostgreSQL; SQLite serialises writers), so the count below sees the other.
        user_role::Entity::find()
            .select_only()
            .column(user_role::Column::UserId)
            .filter(user_role::Column::Role.eq(Role::Admin.as_str()))
            .lock_exclusive()
            .into_tuple::<i32>()
            .all(&txn)
            .await?;
    }
    let before = normalize_roles(&roles_of(&txn, user_id).await?);
    user_role::Entity::delete_many()
        .filter(user_role::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    write_roles(&txn, user_id, &roles).await?;
    if removes_admin && before.contains(&Role::Admin) && admin_count(&txn).await? == 0 {
        txn.rollback().await?;
        return Err(AppError::conflict("LAST_ADMIN", "不能移除唯一管理员的管理员角色"));
    }
    // Only a real change ends the user's access tokens; setting the same roles again does not.
    if before != roles {
        crate::auth::service::bump_token_version(&txn, user_id).await?;
    }
    let entry = AuditEntry::new(actor, origin, AuditAction::UserRolesChanged, "user", user_id)
        .station(target.station_id)
        .detail(serde_json::json!({ "before": before, "after": roles, "district": district }));
    audit::record(&txn, entry, now).await?;
    txn.commit().await?;
    Ok(roles)
}

/// Adds one role if the user lacks it (used when a volunteer application is approved); the
/// user's access tokens then need refreshing to carry it.
pub async fn add_role(db: &impl ConnectionTrait, user_id: i32, role: Role) -> AppResult<()> {
    let existing = roles_of(db, user_id).await?;
    if !existing.contains(&role) {
        write_roles(db, user_id, &[role]).await?;
        crate::auth::service::bump_token_version(db, user_id).await?;
    }
    Ok(())
}

pub async fn update_name(db: &impl ConnectionTrait, user_id: i32, name: String, now: DateTime<Utc>) -> AppResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::Name, Expr::value(name))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn update_password_hash(
    db: &impl ConnectionTrait,
    user_id: i32,
    hash: String,
    now: DateTime<Utc>,
) -> AppResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Users matching the filter, newest first, with their roles.
pub async fn search(
    db: &impl ConnectionTrait,
    scope: &StationScope,
    text: Option<&str>,
    role: Option<Role>,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<UserResponse>, u64)> {
    let mut condition = scope.condition(user::Column::StationId);
    if let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) {
        condition = condition.add(
            Condition::any()
                .add(user::Column::Name.like(like_contains(text)))
                .add(user::Column::Phone.like(like_contains(text))),
        );
    }
    if let Some(role) = role {
        condition = condition.add(
            user::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(user_role::Column::UserId)
                    .from(user_role::Entity)
                    .and_where(user_role::Column::Role.eq(role.as_str()))
                    .to_owned(),
            ),
        );
    }
    let query = user::Entity::find().filter(condition).order_by_desc(user::Column::Id);
    let (users, total) = crate::db::fetch_page(db, query, offset, limit).await?;
    let ids: Vec<i32> = users.iter().map(|u| u.id).collect();
    let mut roles: HashMap<i32, Vec<Role>> = HashMap::new();
    for row in user_role::Entity::find()
        .filter(user_role::Column::UserId.is_in(ids))
        .all(db)
        .await?
    {
        if let Ok(role) = row.role.parse() {
            roles.entry(row.user_id).or_default().push(role);
        }
    }
    let items = users
        .into_iter()
        .map(|u| {
            let mut r = roles.remove(&u.id).unwrap_or_default();
            r.sort();
            response(u, r)
        })
        .collect();
    Ok((items, total))
}

/// Whether any account holds the admin role.
/// How many accounts hold the admin role, counted by the database.
async fn admin_count(db: &impl ConnectionTrait) -> AppResult<u64> {
    Ok(user_role::Entity::find()
        .filter(user_role::Column::Role.eq(Role::Admin.as_str()))
        .count(db)
        .await?)
}

pub async fn admin_exists(db: &impl ConnectionTrait) -> AppResult<bool> {
    Ok(user_role::Entity::find()
        .filter(user_role::Column::Role.eq(Role::Admin.as_str()))
        .one(db)
        .await?
        .is_some())
}
