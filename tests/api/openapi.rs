//! The committed OpenAPI document is the one the server serves, and it is complete.

use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn the_committed_document_is_the_served_one() {
    let app = spawn_app().await;
    let served: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let committed: Value = serde_json::from_str(include_str!("../../openapi/openapi.json")).unwrap();
    assert!(
        served == committed,
        "openapi/openapi.json is stale: run `cargo run -- openapi > openapi/openapi.json`"
    );
}

#[tokio::test]
async fn every_operation_documents_its_errors_and_security() {
    let app = spawn_app().await;
    let doc: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/v1/auth/login",
        "/api/v1/me",
        "/api/v1/users/{id}/roles",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(paths.contains_key(path), "{path} missing");
    }
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(responses.contains_key("500"), "{method} {path} lacks 500");
            assert!(operation["summary"].is_string(), "{method} {path} lacks a summary");
            let secured = operation["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
            if secured {
                assert!(responses.contains_key("401"), "{method} {path} lacks 401");
            }
            if path.contains('{') {
                assert!(responses.contains_key("404"), "{method} {path} lacks 404");
            }
            if operation.get("requestBody").is_some() {
                assert!(responses.contains_key("422"), "{method} {path} lacks 422");
            }
        }
    }
}

/// Every `$ref` in the document names something the document holds (a dangling one makes
/// client generators and contract checkers skip that part).
#[test]
fn every_reference_resolves() {
    fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    found.push(target);
                }
                map.values().for_each(|v| refs(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }
    let doc: Value = serde_json::from_str(include_str!("../../openapi/openapi.json")).unwrap();
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(found.len() > 100, "the walk found the document's references");
    let dangling: Vec<&str> = found
        .into_iter()
        .filter(|target| {
            let pointer = target.trim_start_matches('#');
            !target.starts_with("#/") || doc.pointer(pointer).is_none()
        })
        .collect();
    assert!(dangling.is_empty(), "references to nothing: {dangling:?}");
}

/// The schema the document gives `status` answers of `method template`, rooted in the whole
/// document so that its `$ref`s resolve.
fn answer_schema(doc: &Value, method: &str, template: &str, status: &str) -> Value {
    let content = &doc["paths"][template][method]["responses"][status]["content"];
    let media = if status.starts_with('2') {
        "application/json"
    } else {
        "application/problem+json"
    };
    let schema = content[media]["schema"].clone();
    assert!(schema.is_object(), "{method} {template} documents no {status} schema");
    let mut root = doc.clone();
    for (key, value) in schema.as_object().unwrap() {
        root[key] = value.clone();
    }
    root
}

fn assert_conforms(doc: &Value, method: &str, template: &str, status: &str, body: &Value) {
    let schema = answer_schema(doc, method, template, status);
    let validator = jsonschema::validator_for(&schema).expect("the document's schemas compile");
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {template} {status} does not match its schema: {errors:#?}\n{body:#}"
    );
}

/// Real answers match the schemas the document gives them, so a client generated from it can
/// trust its types: every field marked required is there, every enum value (statuses,
/// `allowed_actions`, notification kinds, timeline actions, error codes) is listed, and fields
/// that may be empty are `null`-typed.
#[tokio::test]
async fn answers_match_their_documented_schemas() {
    use crate::orders::{place, world};
    let app = spawn_app().await;
    let doc: Value = serde_json::from_str(include_str!("../../openapi/openapi.json")).unwrap();
    let w = world(&app).await;
    let order = place(&app, &w).await;
    app.post(
        &format!("/orders/{order}/dispatch"),
        w.secretary.t(),
        serde_json::json!({"mode": "open"}),
    )
    .await
    .assert_status(200);
    app.post(
        &format!("/orders/{order}/accept"),
        w.volunteer.t(),
        serde_json::json!({}),
    )
    .await
    .assert_status(200);

    let station = w.station;
    let reads: Vec<(&str, String, Option<&str>)> = vec![
        ("/api/v1/me", "/me".into(), w.resident.t()),
        ("/api/v1/stations", "/stations".into(), None),
        ("/api/v1/stations/{id}", format!("/stations/{station}"), None),
        ("/api/v1/platforms", format!("/platforms?station_id={station}"), None),
        ("/api/v1/orders", "/orders".into(), w.resident.t()),
        ("/api/v1/orders", "/orders".into(), w.secretary.t()),
        ("/api/v1/orders/{id}", format!("/orders/{order}"), w.resident.t()),
        ("/api/v1/orders/{id}", format!("/orders/{order}"), w.volunteer.t()),
        ("/api/v1/orders/{id}", format!("/orders/{order}"), w.secretary.t()),
        (
            "/api/v1/orders/{id}/events",
            format!("/orders/{order}/events"),
            w.resident.t(),
        ),
        (
            "/api/v1/orders/{id}/events",
            format!("/orders/{order}/events"),
            w.volunteer.t(),
        ),
        ("/api/v1/notifications", "/notifications".into(), w.resident.t()),
        ("/api/v1/notifications", "/notifications".into(), w.secretary.t()),
        (
            "/api/v1/notifications/unread-count",
            "/notifications/unread-count".into(),
            w.resident.t(),
        ),
        ("/api/v1/activities", format!("/activities?station_id={station}"), None),
        ("/api/v1/me/hours", "/me/hours".into(), w.volunteer.t()),
    ];
    for (template, path, token) in reads {
        let reply = app.get(&path, token).await;
        assert_eq!(reply.status, 200, "GET {path}: {:?}", reply.body);
        assert_conforms(&doc, "get", template, "200", &reply.body);
    }

    let stranger = crate::orders::account(&app, Some(station), &[]).await;
    let hidden = app.get(&format!("/orders/{order}"), stranger.t()).await;
    hidden.assert_problem(404, "NOT_FOUND");
    assert_conforms(&doc, "get", "/api/v1/orders/{id}", "404", &hidden.body);
    let invalid = app
        .post("/orders", w.resident.t(), serde_json::json!({"title": ""}))
        .await;
    assert_eq!(invalid.status, 422);
    assert_conforms(&doc, "post", "/api/v1/orders", "422", &invalid.body);
}

/// `Problem.code` is exactly the set of codes the server knows, and each is documented once in
/// the description's table.
#[test]
fn every_error_code_is_an_enum_value_and_documented() {
    let doc: Value = serde_json::from_str(include_str!("../../openapi/openapi.json")).unwrap();
    let codes: Vec<&str> = doc["components"]["schemas"]["Problem"]["properties"]["code"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let known: Vec<&str> = wenming::http::messages::ERROR_CODES.iter().map(|(c, _)| *c).collect();
    assert_eq!(codes, known);
    let description = doc["info"]["description"].as_str().unwrap();
    for code in codes {
        assert_eq!(
            description.matches(&format!("| `{code}` |")).count(),
            1,
            "{code} is not documented exactly once"
        );
    }
}
