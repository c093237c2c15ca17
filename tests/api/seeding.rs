//! `wenming seed --demo` and `wenming seed --scale` on a fresh database, checked through the
//! API; and a bounded smoke run of every loadgen scenario whose invariants must hold.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::*;

/// Logins are repeated across loadgen runs; the limits themselves are tested in `limits`.
const LIMITS: [(&str, &str); 2] = [
    ("LOGIN_ATTEMPTS_PER_MINUTE", "10000"),
    ("LOGIN_PHONE_ATTEMPTS_PER_MINUTE", "10000"),
];

/// Runs `wenming seed` with `args` on `db`; returns what it printed.
fn seed(db: &TestDatabase, args: &[&str]) -> Value {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_wenming"))
        .arg("seed")
        .args(args)
        .envs(db.env(&[]))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "seed {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

const TINY: [&str; 20] = [
    "--scale",
    "--stations",
    "2",
    "--residents",
    "200",
    "--volunteers",
    "60",
    "--activities",
    "300",
    "--orders",
    "2000",
    "--open-orders",
    "10",
    "--open-activities",
    "40",
    "--rush-capacity",
    "20",
    "--phone-prefix",
    "171",
    "--users-file",
];

/// Seeds tiny and returns the users file.
fn seed_tiny(db: &TestDatabase) -> (Value, loadgen::UsersFile) {
    let file = db.data_dir.join("users.json");
    let mut args = TINY.to_vec();
    let path = file.display().to_string();
    args.push(&path);
    let summary = seed(db, &args);
    let raw: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(summary["stations"], 2);
    assert_eq!(summary["orders"], 2000);
    assert!(summary["seconds"].as_f64().unwrap() > 0.0);
    (raw, loadgen::UsersFile::read(&file).unwrap())
}

#[tokio::test]
async fn seed_demo_makes_one_realistic_station_to_log_in_to() {
    let db = TestDatabase::fresh().await;
    let demo = seed(&db, &["--demo"]);
    let app = spawn_app_on(db, &[]).await;
    let station = demo["station_id"].as_i64().unwrap();
    let password = demo["password"].as_str().unwrap();
    let logins = demo["logins"].as_array().unwrap();
    assert_eq!(logins.len(), 26, "a director, a secretary, 12 residents, 12 volunteers");
    let with_role = |role: &str| {
        logins
            .iter()
            .find(|l| l["roles"].as_array().unwrap().iter().any(|r| r == role))
            .unwrap()["phone"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let secretary = app.token(&with_role("secretary"), password).await;
    let me = app.get("/me", Some(&secretary)).await;
    assert_eq!(me.assert_status(200)["name"], "李秀英");
    assert_eq!(me.body["station_id"], station);

    // Orders in every state, seen by the station's staff.
    let orders = app.get("/orders?page_size=100", Some(&secretary)).await;
    let states: std::collections::HashSet<String> = orders.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap().to_owned())
        .collect();
    for state in [
        "submitted",
        "open",
        "assigned",
        "accepted",
        "in_service",
        "completed",
        "rated",
        "rejected",
        "cancelled",
        "expired",
    ] {
        assert!(states.contains(state), "no {state} order: {states:?}");
    }
    // Activities in every state, for staff; published ones for a resident.
    for state in [
        "draft",
        "pending_approval",
        "published",
        "ongoing",
        "finished",
        "archived",
        "cancelled",
    ] {
        let listed = app
            .get(
                &format!("/activities?station_id={station}&status={state}"),
                Some(&secretary),
            )
            .await;
        let total = listed.assert_status(200)["total"].as_u64().unwrap();
        assert!(total >= 1, "no {state} activity: {}", listed.text);
    }
    let resident = app.token(&with_role("volunteer"), password).await;
    let open = app
        .get(
            &format!("/activities?station_id={station}&status=published"),
            Some(&resident),
        )
        .await;
    let open = open.assert_status(200)["items"].as_array().unwrap().clone();
    assert_eq!(open.len(), 2);
    assert!(
        open[0]["allowed_actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "signup")
    );
    // The approved plan, the service menu and the announcements.
    let plans = app.get("/annual-plans", Some(&secretary)).await;
    assert_eq!(
        plans.assert_status(200)["items"][0]["status"],
        "approved",
        "{}",
        plans.text
    );
    let items = app.get(&format!("/service-items?station_id={station}"), None).await;
    assert_eq!(items.assert_status(200)["total"], 4, "{}", items.text);
    let news = app.get(&format!("/announcements?station_id={station}"), None).await;
    assert_eq!(news.assert_status(200)["total"], 3, "{}", news.text);
}

#[test]
fn scale_flags_without_scale_are_a_usage_error_and_scale_needs_a_users_file() {
    let usage = std::process::Command::new(env!("CARGO_BIN_EXE_wenming"))
        .args(["seed", "--stations", "3"])
        .output()
        .unwrap();
    assert_eq!(usage.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&usage.stderr).contains("--scale"));
    let usage = std::process::Command::new(env!("CARGO_BIN_EXE_wenming"))
        .args(["seed", "--scale", "--demo"])
        .output()
        .unwrap();
    assert_eq!(usage.status.code(), Some(2));
}

#[tokio::test]
async fn seed_scale_without_a_users_file_fails_before_writing_anything() {
    let db = TestDatabase::fresh().await;
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_wenming"))
        .args([
            "seed",
            "--scale",
            "--stations",
            "1",
            "--residents",
            "5",
            "--volunteers",
            "5",
        ])
        .envs(db.env(&[]))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--users-file"));
    let app = spawn_app_on(db, &[]).await;
    let stations = app.get("/stations", None).await;
    assert_eq!(stations.assert_status(200)["total"], 0, "{}", stations.text);
}

#[tokio::test]
async fn seed_scale_fills_stations_and_writes_a_users_file_whose_logins_work() {
    let db = TestDatabase::fresh().await;
    let (raw, users) = seed_tiny(&db);
    let app = spawn_app_on(db, &[]).await;
    assert_eq!(users.stations.len(), 2);
    assert_eq!(users.password, "seed-password-1");
    let residents: usize = users.stations.iter().map(|s| s.residents.len()).sum();
    let volunteers: usize = users.stations.iter().map(|s| s.volunteers.len()).sum();
    assert_eq!((residents, volunteers), (200, 60));
    assert_eq!(users.open_orders.len(), 10);
    assert_eq!(raw["rush_activity"]["capacity"], 20);

    let station = &users.stations[0];
    let secretary = app.token(&station.secretary, &users.password).await;
    let orders = app.get("/orders?page_size=1", Some(&secretary)).await;
    assert_eq!(
        orders.assert_status(200)["total"],
        1000,
        "half the orders are this station's"
    );
    for order in &station.open_orders {
        let reply = app.get(&format!("/orders/{order}"), Some(&secretary)).await;
        assert_eq!(reply.assert_status(200)["status"], "open");
        assert_eq!(reply.body["station_id"], station.id);
    }
    // Residents see published activities with places; the open ones take sign-ups.
    let resident = app.token(&station.residents[0], &users.password).await;
    let listed = app
        .get(
            &format!("/activities?station_id={}&page_size=20", station.id),
            Some(&resident),
        )
        .await;
    assert!(listed.assert_status(200)["total"].as_u64().unwrap() >= 20);
    let signup = app
        .post(
            &format!("/activities/{}/signups", station.open_activities[0]),
            Some(&resident),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(signup.assert_status(201)["status"], "confirmed");
    // A volunteer sees the station's open orders in the pool.
    let volunteer = app.token(&station.volunteers[0], &users.password).await;
    let pool = app.get("/orders?pool=open&page_size=100", Some(&volunteer)).await;
    assert_eq!(pool.assert_status(200)["total"], station.open_orders.len());
    let rush = app
        .get(&format!("/activities/{}", users.rush_activity.id), Some(&resident))
        .await;
    assert_eq!(rush.assert_status(200)["capacity"], 20);
    assert_eq!(rush.body["status"], "published");
}

fn options(app: &TestApp, scenario: loadgen::Scenario) -> loadgen::Options {
    loadgen::Options {
        bases: vec![app.address.clone()],
        scenario,
        concurrency: 4,
        span: loadgen::Span::Time(Duration::from_secs(2)),
        users: 30,
        rush_users: 100,
        rush_capacity: None,
        grab_volunteers: 40,
        login_concurrency: 4,
        tokens: None,
    }
}

#[tokio::test]
async fn every_loadgen_scenario_holds_its_invariant_at_small_sizes() {
    let db = TestDatabase::fresh().await;
    let (_, users) = seed_tiny(&db);
    let app = spawn_app_on(db, &LIMITS).await;
    use loadgen::Scenario::*;
    // `mixed` accepts open orders too, so it runs after `grab`.
    for scenario in [Healthz, Browse, Signup, Submit, Rush, Grab, Mixed] {
        let mut options = options(&app, scenario);
        if scenario == Rush {
            options.concurrency = 16;
        }
        let report = loadgen::run(&options, users.clone()).await.unwrap();
        assert!(report.invariant_ok, "{report}");
        assert!(report.requests > 0, "{report}");
        // The --json report parses back.
        let json = serde_json::to_string(&report).unwrap();
        let parsed: loadgen::Report = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed.requests, report.requests);
        assert!(parsed.latency_us.p50 <= parsed.latency_us.p99 && parsed.latency_us.p99 <= parsed.latency_us.max);
        match scenario {
            Rush => {
                assert_eq!(report.statuses.get("201"), Some(&100), "{report}");
                assert!(
                    report.invariant.contains("exactly 20 confirmed, 80 waitlisted"),
                    "{report}"
                );
            }
            Grab => assert_eq!(report.statuses.get("200"), Some(&10), "{report}"),
            _ => {}
        }
    }

    // The invariant checks have teeth: the same rush with one place fewer fails …
    let mut wrong = options(&app, Rush);
    wrong.rush_capacity = Some(19);
    let refused = loadgen::run(&wrong, users.clone()).await.unwrap_err();
    assert!(refused.to_string().contains("already has 100 sign-ups"), "{refused}");
    // … and a second grab refuses to race for orders already taken.
    let refused = loadgen::run(&options(&app, Grab), users).await.unwrap_err();
    assert!(refused.to_string().contains("no longer open"), "{refused}");
}

/// Runs `wenming tokens` on `db` for the users file; returns the summary and the tokens file.
fn mint(db: &TestDatabase, users_file: &std::path::Path, ttl: &str) -> (Value, Value, std::path::PathBuf) {
    let out = db.data_dir.join("tokens.json");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_wenming"))
        .arg("tokens")
        .arg("--users-file")
        .arg(users_file)
        .arg("--out")
        .arg(&out)
        .args(["--ttl", ttl])
        .envs(db.env(&[]))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "tokens failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    let file: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    (summary, file, out)
}

#[tokio::test]
async fn minted_tokens_are_accepted_like_a_login_and_still_end_with_a_role_change() {
    let db = TestDatabase::fresh().await;
    let (_, users) = seed_tiny(&db);
    let users_file = db.data_dir.join("users.json");
    let (summary, file, out) = mint(&db, &users_file, "30m");
    // Two stations: director, secretary, 100 residents and 30 volunteers each.
    assert_eq!(summary["tokens"], 2 * (2 + 100 + 30), "{summary}");
    let tokens = &file["tokens"];
    let app = spawn_app_on(db, &[]).await;
    let station = &users.stations[0];

    // The same caller, roles and station as a login would give.
    let minted = tokens[&station.secretary].as_str().unwrap().to_owned();
    let logged_in = app.token(&station.secretary, &users.password).await;
    let by_mint = app.get("/me", Some(&minted)).await;
    let by_login = app.get("/me", Some(&logged_in)).await;
    assert_eq!(by_mint.assert_status(200).clone(), by_login.assert_status(200).clone());
    assert_eq!(by_mint.body["station_id"], station.id);
    let roles = |t: &str| -> Value {
        use base64::Engine as _;
        let payload = t.split('.').nth(1).unwrap();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap();
        let claims: Value = serde_json::from_slice(&bytes).unwrap();
        let life = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
        serde_json::json!([claims["roles"], claims["station_id"], claims["ver"], life])
    };
    let (m, l) = (roles(&minted), roles(&logged_in));
    assert_eq!((&m[0], &m[1], &m[2]), (&l[0], &l[1], &l[2]));
    assert_eq!(m[3], 1800, "--ttl 30m");
    // Staff rights come with it: the station's orders.
    let orders = app.get("/orders?page_size=1", Some(&minted)).await;
    assert_eq!(orders.assert_status(200)["total"], 1000);

    // A resident's minted token signs up like a logged-in one.
    let resident = tokens[&station.residents[5]].as_str().unwrap();
    let signup = app
        .post(
            &format!("/activities/{}/signups", station.open_activities[1]),
            Some(resident),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(signup.assert_status(201)["status"], "confirmed");

    // loadgen takes the file instead of logging in.
    let mut browse = options(&app, loadgen::Scenario::Browse);
    browse.tokens = Some(std::sync::Arc::new(loadgen::TokensFile::read(&out).unwrap()));
    let report = loadgen::run(&browse, users.clone()).await.unwrap();
    assert!(report.invariant_ok && report.requests > 0, "{report}");
    assert_eq!(report.statuses.keys().collect::<Vec<_>>(), ["200"], "{report}");

    // The version rule still holds: a role change ends the minted token like any other.
    let admin = app.admin_token().await;
    let volunteer = &station.volunteers[0];
    let volunteer_token = tokens[volunteer].as_str().unwrap();
    let me = app.get("/me", Some(volunteer_token)).await;
    let id = me.assert_status(200)["id"].as_i64().unwrap();
    let demoted = app
        .put(
            &format!("/users/{id}/roles"),
            Some(&admin),
            serde_json::json!({"roles": ["resident"]}),
        )
        .await;
    demoted.assert_status(200);
    let refused = app.get("/me", Some(volunteer_token)).await;
    assert_eq!(refused.assert_status(401)["code"], "TOKEN_REVOKED");
}
