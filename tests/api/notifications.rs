//! Notification endpoints on their own (domain tests check what each change notifies).

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_new_user_has_no_notifications() {
    let app = spawn_app().await;
    let station = app.create_station("东湖站").await;
    let (_, token) = app.resident(station).await;
    let list = app.get("/notifications", Some(&token)).await;
    assert_eq!(list.assert_status(200)["total"], json!(0));
    assert_eq!(
        app.get("/notifications/unread-count", Some(&token))
            .await
            .assert_status(200)["unread"],
        json!(0)
    );
    app.post("/notifications/424242/read", Some(&token), json!({}))
        .await
        .assert_problem(404, "NOT_FOUND");
    app.get("/notifications", None)
        .await
        .assert_problem(401, "MISSING_TOKEN");
}

#[tokio::test]
async fn a_new_user_has_no_hours() {
    let app = spawn_app().await;
    let station = app.create_station("东湖站").await;
    let (_, token) = app.resident(station).await;
    let hours = app.get("/me/hours", Some(&token)).await;
    let body = hours.assert_status(200);
    assert_eq!(body["total_minutes"], json!(0));
    assert_eq!(body["items"], json!([]));
}
