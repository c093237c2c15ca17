//! Own profile and staff account management.

use actix_web::{HttpResponse, get, patch, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{rules, service, types::*};
use crate::audit::Origin;
use crate::auth::roles::Role;
use crate::http::{AppError, AppResult, AuthUser, Page, Pagination, Problem, ValidatedJson, ValidatedQuery, created};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_me)
        .service(update_me)
        .service(create_user)
        .service(set_roles)
        .service(list_users);
}

/// Get own profile
///
/// The caller's own account: roles, station and volunteer status, with the phone unmasked.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    responses((status = 200, description = "The caller's profile", body = UserResponse))
)]
#[get("/me")]
async fn get_me(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let profile = service::profile(&state.db, user.id)
        .await
        .map_err(|_| AppError::unauthorized("INVALID_TOKEN", "账号不存在"))?;
    Ok(HttpResponse::Ok().json(profile))
}

/// Update own profile
///
/// Only `name` can change here; `roles`, `station_id` and `phone` in the body are ignored.
#[utoipa::path(
    tag = "me",
    request_body = UpdateMeRequest,
    security(("bearer" = [])),
    responses((status = 200, description = "The updated profile", body = UserResponse))
)]
#[patch("/me")]
async fn update_me(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ValidatedJson<UpdateMeRequest>,
) -> AppResult<HttpResponse> {
    if let Some(name) = body.0.name {
        service::update_name(&state.db, user.id, name, state.clock.now()).await?;
    }
    Ok(HttpResponse::Ok().json(service::profile(&state.db, user.id).await?))
}

fn refusal(refusal: rules::GrantRefusal) -> AppError {
    match refusal {
        rules::GrantRefusal::RoleNotGrantable(role) => {
            AppError::forbidden("ROLE_NOT_GRANTABLE", format!("无权授予或撤销角色 {role}"))
        }
        rules::GrantRefusal::OtherStation => AppError::forbidden("OTHER_STATION", "只能管理本实践站的账号"),
        rules::GrantRefusal::DistrictRequired => {
            AppError::unprocessable_field("DISTRICT_REQUIRED", "district", "督查账号须指定所督查的辖区 (district)")
        }
        rules::GrantRefusal::StationRequired(role) => {
            AppError::invalid_field("station_id", format!("角色 {role} 须属于某个实践站"))
        }
    }
}

/// Create a staff account
///
/// Roles: admin (any station and role); director (own station; resident, volunteer or
/// secretary). Nobody grants a role above their own.
#[utoipa::path(
    tag = "users",
    request_body = CreateUserRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = UserResponse),
        (status = 409, description = "The phone is already registered (`PHONE_TAKEN`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (`VALIDATION_FAILED`), or a supervisor without `district` (`DISTRICT_REQUIRED`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many passwords being hashed (`BUSY`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[post("/users")]
async fn create_user(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    body: ValidatedJson<CreateUserRequest>,
) -> AppResult<HttpResponse> {
    user.require_any(&[Role::Admin, Role::Director])?;
    let req = body.0;
    let station_id = if user.is_admin() {
        req.station_id
    } else {
        req.station_id.or(user.station_id)
    };
    rules::check_grant(
        &user.roles,
        user.station_id,
        station_id,
        &[],
        &service::normalize_roles(&req.roles),
        true,
    )
    .map_err(refusal)?;
    rules::check_district(&req.roles, req.district.as_deref()).map_err(refusal)?;
    if let Some(station_id) = station_id {
        crate::stations::service::ensure_exists(&state.db, station_id, "station_id").await?;
    }
    let password_hash = state.passwords.hash(req.password).await?;
    let created_user = service::create(
        &state.db,
        service::NewUser {
            phone: req.phone,
            password_hash,
            name: req.name,
            station_id,
            roles: req.roles,
            district: req.district,
        },
        Some((&user, &origin)),
        state.clock.now(),
    )
    .await?;
    Ok(created(format!("/api/v1/users/{}", created_user.id), &created_user))
}

/// Set a user's roles
///
/// Replaces the user's roles (`resident` is always kept). Roles: admin; director for
/// `secretary` in their own station. Takes effect on the user's next request: their current
/// access tokens are refused with 401 `TOKEN_REVOKED`, and a refresh gives one with the new
/// roles. The only admin cannot lose the admin role (409 `LAST_ADMIN`).
#[utoipa::path(
    tag = "users",
    params(("id" = i32, Path, description = "User id")),
    request_body = SetRolesRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user with the new roles", body = UserResponse),
        (status = 409, description = "The change would leave no admin (`LAST_ADMIN`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (`VALIDATION_FAILED`), or `supervisor` granted to an account with no district and none given (`DISTRICT_REQUIRED`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/users/{id}/roles")]
async fn set_roles(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
    body: ValidatedJson<SetRolesRequest>,
) -> AppResult<HttpResponse> {
    user.require_any(&[Role::Admin, Role::Director])?;
    let target = service::find(&state.db, id.into_inner()).await?;
    let before = service::roles_of(&state.db, target.id).await?;
    let after = service::normalize_roles(&body.0.roles);
    rules::check_grant(&user.roles, user.station_id, target.station_id, &before, &after, false).map_err(refusal)?;
    let district = body.0.district.clone().or_else(|| target.district.clone());
    rules::check_district(&after, district.as_deref()).map_err(refusal)?;
    let by = (&user, &origin);
    let roles = service::set_roles(&state.db, by, &target, &after, body.0.district, state.clock.now()).await?;
    let target = service::find(&state.db, target.id).await?;
    Ok(HttpResponse::Ok().json(service::response(target, roles)))
}

/// Search users
///
/// Roles: secretary and director (own station), supervisor (a station of their district, or all of them) and admin (any station, or all).
#[utoipa::path(
    tag = "users",
    params(Pagination, UserFilter),
    security(("bearer" = [])),
    responses((status = 200, description = "Matching users, newest first", body = Page<UserResponse>))
)]
#[get("/users")]
async fn list_users(
    state: web::Data<AppState>,
    user: AuthUser,
    page: ValidatedQuery<Pagination>,
    filter: ValidatedQuery<UserFilter>,
) -> AppResult<HttpResponse> {
    user.require_any(&[Role::Secretary, Role::Director, Role::Supervisor, Role::Admin])?;
    let filter = filter.0;
    let scope = user.listing_station(filter.station_id)?;
    let (mut items, total) = service::search(
        &state.db,
        &scope,
        filter.q.as_deref(),
        filter.role,
        page.0.offset(),
        page.0.page_size(),
    )
    .await?;
    for item in items.iter_mut().filter(|item| !user.sees_phones_of(item.station_id)) {
        item.phone = crate::orders::service::mask_phone(&item.phone);
    }
    Ok(HttpResponse::Ok().json(Page::new(items, &page.0, total)))
}
