//! The real binary: start-up validation, JSON logs and graceful shutdown.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_bad_setting_stops_start_up_naming_the_setting() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_wenming"))
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
        .env("JWT_SECRET", "too-short")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("JWT_SECRET"), "{stderr}");

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_wenming"))
        .env("BIND_ADDR", "not an address")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("BIND_ADDR"));
}

#[tokio::test]
async fn json_logs_carry_the_request_id() {
    let app = spawn_app().await;
    let log = app.db.data_dir.join("server.log");
    let process = app
        .spawn_process_logging_to(&[("LOG_FORMAT", "json"), ("RUST_LOG", "info")], Some(&log))
        .await;
    let reply = app
        .client
        .get(format!("{}/healthz", process.address))
        .header("x-request-id", "trace-42")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("every log line is JSON"))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.to_string().contains("trace-42") && l["message"] == json!("request finished")),
        "{text}"
    );
}

#[tokio::test]
async fn sigterm_lets_in_flight_requests_finish() {
    let app = spawn_app().await;
    // An unknown phone is checked against a hash made with this process's (deliberately high)
    // memory cost, which makes the login a slow, in-flight request.
    let mut process = app.spawn_process(&[("ARGON2_MEMORY_KIB", "524288")]).await;
    let login = app
        .client
        .post(format!("{}/api/v1/auth/login", process.address))
        .json(&json!({
            "phone": "13711112222", "password": "wrongpass1"
        }));
    let in_flight = tokio::spawn(login.send());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let killed = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(process.child.id().to_string())
        .status()
        .unwrap();
    assert!(killed.success());
    let reply = in_flight.await.unwrap().expect("the in-flight request is answered");
    assert_eq!(reply.status(), 401);
    let mut exited = None;
    for _ in 0..100 {
        if let Some(status) = process.child.try_wait().unwrap() {
            exited = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(exited.expect("the server exits after SIGTERM").success());
}

#[tokio::test]
async fn seed_fills_a_station_whose_staff_and_supervisor_can_log_in() {
    let app = spawn_app().await;
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_wenming"))
        .args([
            "seed",
            "--orders",
            "60",
            "--activities",
            "12",
            "--residents",
            "8",
            "--volunteers",
            "4",
        ])
        .args(["--signups-per-activity", "5", "--year", "2025"])
        .envs(app.db.env(&[]))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let seeded: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(seeded["year"], 2025);
    assert_eq!(seeded["signups"], 60, "five sign-ups for each of the twelve activities");
    let station = seeded["station_id"].as_i64().unwrap();
    let password = seeded["password"].as_str().unwrap();

    let secretary = app.token(seeded["secretary_phone"].as_str().unwrap(), password).await;
    let orders = app.get("/orders?page_size=1", Some(&secretary)).await;
    assert_eq!(orders.assert_status(200)["total"], 60);
    let supervisor = app.token(seeded["supervisor_phone"].as_str().unwrap(), password).await;
    let theirs = app
        .get(&format!("/orders?station_id={station}&page_size=1"), Some(&supervisor))
        .await;
    assert_eq!(
        theirs.assert_status(200)["total"],
        60,
        "the seeded supervisor reads the seeded district"
    );

    let usage = std::process::Command::new(env!("CARGO_BIN_EXE_wenming"))
        .args(["seed", "--phone-prefix", "999"])
        .output()
        .unwrap();
    assert_eq!(
        usage.status.code(),
        Some(2),
        "a bad option is refused before anything is written"
    );
}
