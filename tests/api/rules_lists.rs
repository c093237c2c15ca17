//! Issue 8, points 16 and 17: teams and the service menu answer in the list envelope; everyone
//! of a station browses its teams (without phones) and a volunteer sees their own; the skill
//! filter matches any of several skills and parts of a skill; all eight volunteer sources; an
//! activity's focus group is the same enum as an order's.

use chrono::Duration;
use serde_json::{Value, json};

use crate::activities::{body, draft, spawn, station};
use crate::helpers::*;
use crate::orders::{Person, World, world};

/// A resident who applied with `skills` and `source` and was approved; the token is fresh.
async fn applied_volunteer(app: &TestApp, w: &World, skills: Value, source: &str) -> Person {
    let (id, phone) = app.register(w.station, "申请人").await;
    let token = app.token(&phone, PASSWORD).await;
    let reply = app
        .post(
            "/volunteer-applications",
            Some(&token),
            json!({"real_name": "申请人", "skills": skills, "source": source}),
        )
        .await;
    let application = reply.assert_status(201)["id"].as_i64().unwrap();
    app.post(
        &format!("/volunteer-applications/{application}/approve"),
        w.secretary.t(),
        json!({}),
    )
    .await
    .assert_status(200);
    Person {
        id,
        token: app.token(&phone, PASSWORD).await,
        phone,
    }
}

async fn team(app: &TestApp, w: &World, name: &str, leader: i64) -> i64 {
    let reply = app
        .post(
            "/teams",
            w.secretary.t(),
            json!({"name": name, "platform_id": w.platform, "leader_id": leader}),
        )
        .await;
    reply.assert_status(201)["id"].as_i64().unwrap()
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn teams_and_the_service_menu_answer_in_the_list_envelope() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let first = team(&app, &w, "文艺队", w.volunteer.id).await;
    let second = team(&app, &w, "宣讲队", w.other_volunteer.id).await;
    let teams = app.get("/teams?page_size=1", w.secretary.t()).await;
    let teams = teams.assert_status(200);
    assert_eq!(teams["total"], 2);
    assert_eq!(teams["page"], 1);
    assert_eq!(teams["page_size"], 1);
    assert_eq!(ids(teams), vec![first]);
    let next = app.get("/teams?page=2&page_size=1", w.secretary.t()).await;
    assert_eq!(ids(next.assert_status(200)), vec![second]);

    for name in ["代买药品", "上门理发"] {
        app.post(
            "/service-items",
            w.secretary.t(),
            json!({"name": name, "platform_id": w.platform}),
        )
        .await
        .assert_status(201);
    }
    let menu = app
        .get(&format!("/service-items?station_id={}&page_size=1", w.station), None)
        .await;
    let menu = menu.assert_status(200);
    assert_eq!(menu["total"], 2);
    assert_eq!(menu["page_size"], 1);
    assert_eq!(menu["items"][0]["name"], "代买药品");
    app.get("/service-items?page_size=101", None)
        .await
        .assert_problem(422, "VALIDATION_FAILED");
}

#[tokio::test]
async fn volunteers_and_residents_browse_their_stations_teams_and_a_volunteer_sees_their_own() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mine = team(&app, &w, "文艺队", w.volunteer.id).await;
    let theirs = team(&app, &w, "宣讲队", w.other_volunteer.id).await;
    let elsewhere = world(&app).await;
    let foreign = team(&app, &elsewhere, "法律队", elsewhere.volunteer.id).await;

    for who in [&w.volunteer, &w.resident] {
        let list = app.get("/teams", who.t()).await;
        let body = list.assert_status(200);
        assert_eq!(ids(body), vec![mine, theirs]);
        assert!(!list.text.contains("phone"), "{}", list.text);
        assert!(!list.text.contains(&w.volunteer.phone), "{}", list.text);
        app.get(&format!("/teams/{mine}"), who.t()).await.assert_status(200);
        app.get(&format!("/teams/{foreign}"), who.t())
            .await
            .assert_problem(404, "NOT_FOUND");
    }
    let own = app.get("/teams?mine=true", w.volunteer.t()).await;
    assert_eq!(ids(own.assert_status(200)), vec![mine]);
    let none = app.get("/teams?mine=true", w.resident.t()).await;
    assert_eq!(none.assert_status(200)["total"], 0);
    app.get(&format!("/teams?station_id={}", elsewhere.station), w.resident.t())
        .await
        .assert_problem(403, "OTHER_STATION");
}

#[tokio::test]
async fn the_skill_filter_matches_any_of_several_skills_and_parts_of_a_skill() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let counsellor = applied_volunteer(&app, &w, json!(["心理疏导"]), "college_students").await;
    let repairer = applied_volunteer(&app, &w, json!(["电脑维修", "摄影"]), "party_members").await;
    let _lawyer = applied_volunteer(&app, &w, json!(["法律咨询"]), "model_figures").await;
    let _odd = applied_volunteer(&app, &w, json!(["100%_满意"]), "art_volunteers").await;

    let found = |query: &'static str| {
        let app = &app;
        let token = w.secretary.token.clone();
        async move {
            let reply = app.get(&format!("/volunteers?{query}"), Some(&token)).await;
            let mut found = ids(reply.assert_status(200));
            found.sort_unstable();
            found
        }
    };
    let mut both = vec![counsellor.id, repairer.id];
    both.sort_unstable();
    assert_eq!(found("skill=心理,电脑").await, both);
    assert_eq!(found("skill=心理疏导，摄影").await, both);
    assert_eq!(found("skill=维修").await, vec![repairer.id]);
    assert_eq!(
        found("skill=%25").await.len(),
        1,
        "a % in the filter is taken literally"
    );
    assert!(
        found("skill=_").await.len() == 1,
        "an _ in the filter is taken literally"
    );
    assert!(found("skill=木工").await.is_empty());
}

#[tokio::test]
async fn volunteer_sources_include_all_eight_of_the_work_rules() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let enterprise = applied_volunteer(&app, &w, json!(["账务"]), "community_enterprises").await;
    let profile = app
        .get(&format!("/volunteers/{}", enterprise.id), w.secretary.t())
        .await;
    assert_eq!(profile.assert_status(200)["source"], "community_enterprises");
    let doc = app.get("/openapi.json", None).await;
    let sources = &doc.assert_status(200)["components"]["schemas"]["VolunteerSource"]["enum"];
    assert_eq!(sources.as_array().unwrap().len(), 8, "{sources}");
    assert!(sources.as_array().unwrap().contains(&json!("community_enterprises")));
}

#[tokio::test]
async fn an_activitys_focus_group_is_the_same_enum_as_an_orders() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let refused = app
        .post(
            "/activities",
            Some(&s.secretary.1),
            body(&app, &s, Duration::days(1), 5, json!({"focus_group": "everyone"})),
        )
        .await;
    refused.assert_problem(422, "VALIDATION_FAILED");
    assert_eq!(refused.body["errors"][0]["field"], "focus_group");
    let id = draft(
        &app,
        &s,
        body(
            &app,
            &s,
            Duration::days(1),
            5,
            json!({"focus_group": "migrant_workers"}),
        ),
    )
    .await;
    let shown = app.get(&format!("/activities/{id}"), Some(&s.secretary.1)).await;
    assert_eq!(shown.assert_status(200)["focus_group"], "migrant_workers");
    app.patch(
        &format!("/activities/{id}"),
        Some(&s.secretary.1),
        json!({"focus_group": "children"}),
    )
    .await
    .assert_problem(422, "VALIDATION_FAILED");

    let doc = app.get("/openapi.json", None).await;
    let schemas = &doc.assert_status(200)["components"]["schemas"];
    for schema in ["CreateActivityRequest", "UpdateActivityRequest", "ActivityResponse"] {
        let field = schemas[schema]["properties"]["focus_group"].to_string();
        assert!(field.contains("#/components/schemas/FocusGroup"), "{schema}: {field}");
    }
}
