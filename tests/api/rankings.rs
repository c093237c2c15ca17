//! Rankings for commendation: every figure checked against the orders, hours and ratings the
//! test made, the formula, the order and who may read them.

use chrono::Duration;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::orders::{Person, World, account, place, world};

/// An app whose access tokens last a day, as the clock moves hours between orders.
pub async fn spawn() -> TestApp {
    spawn_app_with(&[("ACCESS_TOKEN_TTL_SECS", "86400")]).await
}

fn path(id: i64, action: &str) -> String {
    format!("/orders/{id}/{action}")
}

/// An order of the world's resident served by `volunteer` for `minutes` (dispatched to them, or
/// to `team` for them to accept), then rated with `stars` when given. The clock then moves on 3
/// hours, so the next order's service time never overlaps this one's (hours are credited once
/// per minute of a person's time).
pub async fn served(
    app: &TestApp,
    w: &World,
    volunteer: &Person,
    team: Option<i64>,
    minutes: i64,
    stars: Option<i64>,
) -> i64 {
    let id = place(app, w).await;
    let dispatch = match team {
        Some(team_id) => json!({"mode": "team", "team_id": team_id}),
        None => json!({"mode": "volunteer", "volunteer_id": volunteer.id}),
    };
    app.post(&path(id, "dispatch"), w.secretary.t(), dispatch)
        .await
        .assert_status(200);
    app.post(&path(id, "accept"), volunteer.t(), json!({}))
        .await
        .assert_status(200);
    app.post(&path(id, "start"), volunteer.t(), json!({}))
        .await
        .assert_status(200);
    app.post(
        &path(id, "complete"),
        volunteer.t(),
        json!({"summary": "已完成", "service_minutes": minutes}),
    )
    .await
    .assert_status(200);
    if let Some(stars) = stars {
        let rating = if stars <= 2 {
            json!({"stars": stars, "reason_tag": "late"})
        } else {
            json!({"stars": stars})
        };
        app.post(&path(id, "rate"), w.resident.t(), rating)
            .await
            .assert_status(200);
    }
    app.clock.advance(Duration::hours(3));
    id
}

pub async fn team_of(app: &TestApp, w: &World, name: &str, leader: &Person, members: &[&Person]) -> i64 {
    let team = app
        .post(
            "/teams",
            w.secretary.t(),
            json!({"name": name, "platform_id": w.platform, "leader_id": leader.id}),
        )
        .await;
    let team_id = team.assert_status(201)["id"].as_i64().unwrap();
    for member in members {
        app.post(
            &format!("/teams/{team_id}/members"),
            w.secretary.t(),
            json!({"volunteer_id": member.id}),
        )
        .await
        .assert_status(201);
    }
    team_id
}

fn year(app: &TestApp) -> i32 {
    use chrono::Datelike;
    (app.clock.now() + Duration::hours(8)).year()
}

fn entry<'a>(list: &'a Value, key: &str, id: i64) -> &'a Value {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v[key] == json!(id))
        .unwrap_or_else(|| panic!("{key} {id} not in {list}"))
}

/// The figures of one ranking entry, in the order the formula reads them.
fn figures(v: &Value) -> (i64, i64, i64, Value, f64) {
    (
        v["confirmed_minutes"].as_i64().unwrap(),
        v["finished_orders"].as_i64().unwrap(),
        v["rated_orders"].as_i64().unwrap(),
        v["average_rating"].clone(),
        v["score"].as_f64().unwrap(),
    )
}

#[tokio::test]
async fn volunteer_ranking_counts_confirmed_hours_finished_orders_and_stars_with_the_formula() {
    let app = spawn().await;
    let w = world(&app).await;
    let third = account(&app, Some(w.station), &["volunteer"]).await;
    // First volunteer: 90 min ★5, 60 min ★4, and 30 min served but not yet rated (finished,
    // hours not yet confirmed).
    served(&app, &w, &w.volunteer, None, 90, Some(5)).await;
    served(&app, &w, &w.volunteer, None, 60, Some(4)).await;
    served(&app, &w, &w.volunteer, None, 30, None).await;
    // Second volunteer: 120 min ★3.
    served(&app, &w, &w.other_volunteer, None, 120, Some(3)).await;
    // A volunteer of another station does not appear.
    let elsewhere = world(&app).await;
    served(&app, &elsewhere, &elsewhere.volunteer, None, 300, Some(5)).await;

    let ranking = app
        .get(&format!("/rankings/volunteers?year={}", year(&app)), w.secretary.t())
        .await;
    let list = ranking.assert_status(200).clone();
    assert_eq!(list["total"], json!(3));

    // 150/60 + 2×3 + 10×(4.5 − 3) = 2.5 + 6 + 15
    let first = entry(&list, "user_id", w.volunteer.id);
    assert_eq!(figures(first), (150, 3, 2, json!(4.5), 23.5));
    assert_eq!(first["confirmed_hours"], json!(2.5));
    assert_eq!(first["rank"], json!(1));
    assert_eq!(first["station_id"], json!(w.station));
    // 120/60 + 2×1 + 10×(3 − 3)
    let second = entry(&list, "user_id", w.other_volunteer.id);
    assert_eq!(figures(second), (120, 1, 1, json!(3.0), 4.0));
    assert_eq!(second["rank"], json!(2));
    // Nothing done: score 0, no rating.
    let last = entry(&list, "user_id", third.id);
    assert_eq!(figures(last), (0, 0, 0, Value::Null, 0.0));
    assert_eq!(last["rank"], json!(3));
    let order: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["user_id"].as_i64().unwrap())
        .collect();
    assert_eq!(order, vec![w.volunteer.id, w.other_volunteer.id, third.id]);

    // Pages keep the rank of the whole list.
    let page = app
        .get(
            &format!("/rankings/volunteers?year={}&page=2&page_size=2", year(&app)),
            w.secretary.t(),
        )
        .await;
    let page = page.assert_status(200);
    assert_eq!(page["total"], json!(3));
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["user_id"], json!(third.id));
    assert_eq!(page["items"][0]["rank"], json!(3));

    // Another year has nothing of this one.
    let last_year = app
        .get(
            &format!("/rankings/volunteers?year={}", year(&app) - 1),
            w.secretary.t(),
        )
        .await;
    let last_year = last_year.assert_status(200);
    assert_eq!(
        figures(entry(last_year, "user_id", w.volunteer.id)),
        (0, 0, 0, Value::Null, 0.0)
    );
}

#[tokio::test]
async fn team_ranking_sums_current_members_and_counts_a_team_order_once() {
    let app = spawn().await;
    let w = world(&app).await;
    let loner = account(&app, Some(w.station), &["volunteer"]).await;
    let team = team_of(&app, &w, "银发服务队", &w.volunteer, &[&w.other_volunteer]).await;
    let small = team_of(&app, &w, "独行服务队", &loner, &[]).await;
    served(&app, &w, &w.volunteer, None, 90, Some(5)).await;
    // Dispatched to the team and served by a member: one order, not two.
    served(&app, &w, &w.other_volunteer, Some(team), 60, Some(4)).await;
    served(&app, &w, &loner, None, 30, Some(1)).await;

    let ranking = app
        .get(&format!("/rankings/teams?year={}", year(&app)), w.secretary.t())
        .await;
    let list = ranking.assert_status(200).clone();
    assert_eq!(list["total"], json!(2));
    // 150/60 + 2×2 + 10×(4.5 − 3) = 2.5 + 4 + 15
    let big = entry(&list, "team_id", team);
    assert_eq!(figures(big), (150, 2, 2, json!(4.5), 21.5));
    assert_eq!(big["member_count"], json!(2));
    assert_eq!(big["rank"], json!(1));
    // 30/60 + 2×1 + 10×(1 − 3) = 0.5 + 2 − 20
    let low = entry(&list, "team_id", small);
    assert_eq!(figures(low), (30, 1, 1, json!(1.0), -17.5));
    assert_eq!(low["rank"], json!(2));
}

#[tokio::test]
async fn rankings_are_for_staff_of_the_station_and_supervisors_only() {
    let app = spawn().await;
    let w = world(&app).await;
    let other = world(&app).await;
    served(&app, &w, &w.volunteer, None, 60, Some(5)).await;
    let y = year(&app);

    for who in [&w.resident, &w.volunteer] {
        for kind in ["volunteers", "teams"] {
            app.get(&format!("/rankings/{kind}?year={y}"), who.t())
                .await
                .assert_problem(403, "FORBIDDEN");
        }
    }
    app.get(
        &format!("/rankings/volunteers?year={y}&station_id={}", other.station),
        w.secretary.t(),
    )
    .await
    .assert_problem(403, "OTHER_STATION");
    app.get(&format!("/rankings/teams?year={y}"), None)
        .await
        .assert_problem(401, "MISSING_TOKEN");

    let supervisor = account(&app, None, &["supervisor"]).await;
    let named = app
        .get(
            &format!("/rankings/volunteers?year={y}&station_id={}", w.station),
            supervisor.t(),
        )
        .await;
    let named = named.assert_status(200);
    assert_eq!(named["total"], json!(2));
    assert_eq!(
        figures(entry(named, "user_id", w.volunteer.id)),
        (60, 1, 1, json!(5.0), 23.0)
    );
    let director = account(&app, Some(w.station), &["director"]).await;
    let own = app.get(&format!("/rankings/volunteers?year={y}"), director.t()).await;
    assert_eq!(own.assert_status(200)["items"][0]["user_id"], json!(w.volunteer.id));
}
