//! Service-menu endpoints.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{service, types::*};
use crate::http::{AppResult, AuthUser, MaybeAuthUser, Page, Pagination, ValidatedJson, ValidatedQuery, created};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_items)
        .service(get_item)
        .service(create_item)
        .service(update_item)
        .service(delete_item);
}

/// List the service menu
///
/// A station's current menu (deleted items are left out), oldest first, one page. Public.
#[utoipa::path(
    tag = "service-items",
    params(Pagination, ServiceItemFilter),
    security((), ("bearer" = [])),
    responses((status = 200, description = "Menu items", body = Page<ServiceItemResponse>))
)]
#[get("/service-items")]
async fn list_items(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    page: ValidatedQuery<Pagination>,
    filter: web::Query<ServiceItemFilter>,
) -> AppResult<HttpResponse> {
    let station_id = filter.station_id.or(user.0.and_then(|u| u.station_id));
    let (items, total) = service::list(
        state.read_db(),
        station_id,
        filter.platform_id,
        page.0.offset(),
        page.0.page_size(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(Page::new(items, &page.0, total)))
}

/// Get a service item
///
/// Also a deleted one (`deleted: true`), as orders that used it still point at it. Public.
#[utoipa::path(
    tag = "service-items",
    params(("id" = i32, Path, description = "Service item id")),
    responses((status = 200, description = "The item", body = ServiceItemResponse))
)]
#[get("/service-items/{id}")]
async fn get_item(state: web::Data<AppState>, id: web::Path<i32>) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::get(state.read_db(), id.into_inner()).await?))
}

/// Add a service item
///
/// Roles: secretary or director (own station); admin (names the station).
#[utoipa::path(
    tag = "service-items",
    request_body = CreateServiceItemRequest,
    security(("bearer" = [])),
    responses((status = 201, description = "Created", body = ServiceItemResponse))
)]
#[post("/service-items")]
async fn create_item(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ValidatedJson<CreateServiceItemRequest>,
) -> AppResult<HttpResponse> {
    let item = service::create(&state.db, &user, body.0, state.clock.now()).await?;
    Ok(created(format!("/api/v1/service-items/{}", item.id), &item))
}

/// Change a service item
///
/// Roles: secretary or director of the item's station.
#[utoipa::path(
    tag = "service-items",
    params(("id" = i32, Path, description = "Service item id")),
    request_body = UpdateServiceItemRequest,
    security(("bearer" = [])),
    responses((status = 200, description = "Updated", body = ServiceItemResponse))
)]
#[patch("/service-items/{id}")]
async fn update_item(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
    body: ValidatedJson<UpdateServiceItemRequest>,
) -> AppResult<HttpResponse> {
    let item = service::update(&state.db, &user, id.into_inner(), body.0, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(item))
}

/// Delete a service item
///
/// Roles: secretary or director of the item's station. The item leaves the menu; orders that
/// used it keep it.
#[utoipa::path(
    tag = "service-items",
    params(("id" = i32, Path, description = "Service item id")),
    security(("bearer" = [])),
    responses((status = 204, description = "Deleted"))
)]
#[delete("/service-items/{id}")]
async fn delete_item(state: web::Data<AppState>, user: AuthUser, id: web::Path<i32>) -> AppResult<HttpResponse> {
    let item = service::find(&state.db, id.into_inner()).await?;
    user.require_staff_of(item.station_id)?;
    service::delete(&state.db, item.id, state.clock.now()).await?;
    Ok(HttpResponse::NoContent().finish())
}
