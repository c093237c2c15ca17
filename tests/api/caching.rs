//! HTTP caching and the language of problem documents: `ETag` and `If-None-Match` on reads,
//! `Cache-Control` by caller and answer, English problem texts on `Accept-Language: en`, and the
//! documentation address in the start-up log.

use reqwest::Method;
use serde_json::json;

use crate::activities::station;
use crate::helpers::*;

/// Sends `method path` with `token` and extra request headers.
async fn send(app: &TestApp, method: Method, path: &str, token: Option<&str>, headers: &[(&str, &str)]) -> Reply {
    let mut request = app.client.request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    into_reply(request.send().await.unwrap()).await
}

async fn get_with(app: &TestApp, path: &str, token: Option<&str>, headers: &[(&str, &str)]) -> Reply {
    send(app, Method::GET, path, token, headers).await
}

fn header<'a>(reply: &'a Reply, name: &str) -> &'a str {
    reply.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// Every `Vary` field of the answer, one name per entry.
fn vary(reply: &Reply) -> Vec<String> {
    reply
        .headers
        .get_all("vary")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_ascii_lowercase())
        .collect()
}

/// The `ETag` of a `200` answer, checked to be a strong quoted tag.
#[track_caller]
fn etag(reply: &Reply) -> String {
    reply.assert_status(200);
    let tag = header(reply, "etag").to_owned();
    assert!(
        tag.starts_with('"') && tag.ends_with('"') && tag.len() > 2,
        "etag {tag:?}"
    );
    tag
}

#[track_caller]
fn assert_not_modified(reply: &Reply, tag: &str) {
    assert_eq!(reply.status.as_u16(), 304, "body: {}", reply.text);
    assert!(reply.text.is_empty(), "a 304 has no body: {}", reply.text);
    assert_eq!(header(reply, "etag"), tag);
}

#[tokio::test]
async fn a_matching_if_none_match_is_304_and_a_change_gives_a_new_tag() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = app.create_station("东湖站").await;
    let one = format!("/stations/{id}");

    for path in [one.as_str(), "/stations"] {
        let first = get_with(&app, path, None, &[]).await;
        let tag = etag(&first);
        // The same bytes, the same tag.
        assert_eq!(etag(&get_with(&app, path, None, &[]).await), tag);

        let not_modified = get_with(&app, path, None, &[("if-none-match", &tag)]).await;
        assert_not_modified(&not_modified, &tag);
        assert_eq!(header(&not_modified, "cache-control"), "public, max-age=60");
        assert!(vary(&not_modified).contains(&"authorization".to_owned()));

        // Weak comparison, lists and `*` (RFC 9110 §13.1.2).
        let weak = format!("W/{tag}");
        let list = format!("\"other\", {tag}");
        for value in [weak.as_str(), list.as_str(), "*"] {
            assert_not_modified(&get_with(&app, path, None, &[("if-none-match", value)]).await, &tag);
        }
        let other = get_with(&app, path, None, &[("if-none-match", "\"other\", W/\"more\"")]).await;
        assert_eq!(etag(&other), tag);
        assert_eq!(other.body, first.body);
    }

    let item_tag = etag(&get_with(&app, &one, None, &[]).await);
    let list_tag = etag(&get_with(&app, "/stations", None, &[]).await);
    app.patch(&one, Some(&admin), json!({"address": "东湖路 90 号"}))
        .await
        .assert_status(200);
    let changed = get_with(&app, &one, None, &[("if-none-match", &item_tag)]).await;
    assert_ne!(etag(&changed), item_tag);
    assert_eq!(changed.body["address"], "东湖路 90 号");
    let changed_list = get_with(&app, "/stations", None, &[("if-none-match", &list_tag)]).await;
    let new_list_tag = etag(&changed_list);
    assert_ne!(new_list_tag, list_tag);

    // A new member changes the list too.
    app.create_station("西湖站").await;
    let grown = get_with(&app, "/stations", None, &[("if-none-match", &new_list_tag)]).await;
    assert_ne!(etag(&grown), new_list_tag);
    assert_eq!(grown.body["total"], 2);
}

#[tokio::test]
async fn callers_shown_different_allowed_actions_get_different_tags() {
    let app = spawn_app().await;
    let s = station(&app, "东湖站").await;
    let sec = &s.secretary.1;
    let (_, resident) = app.resident(s.id).await;
    let created = app
        .post(
            "/announcements",
            Some(sec),
            json!({"title": "社区通知", "body": "本周六上午集中学习", "category": "notice"}),
        )
        .await;
    let id = created.assert_status(201)["id"].as_i64().unwrap();
    let path = format!("/announcements/{id}");

    let staff_view = get_with(&app, &path, Some(sec), &[]).await;
    let resident_view = get_with(&app, &path, Some(&resident), &[]).await;
    assert_eq!(staff_view.body["allowed_actions"], json!(["edit", "delete"]));
    assert_eq!(resident_view.body["allowed_actions"], json!([]));
    let (staff_tag, resident_tag) = (etag(&staff_view), etag(&resident_view));
    assert_ne!(staff_tag, resident_tag);
    for reply in [&staff_view, &resident_view] {
        assert_eq!(header(reply, "cache-control"), "private, no-cache");
        assert!(vary(reply).contains(&"authorization".to_owned()));
    }

    // The staff member's tag does not validate the resident's representation, and vice versa.
    let resident_again = get_with(&app, &path, Some(&resident), &[("if-none-match", &staff_tag)]).await;
    assert_eq!(etag(&resident_again), resident_tag);
    assert_not_modified(
        &get_with(&app, &path, Some(&resident), &[("if-none-match", &resident_tag)]).await,
        &resident_tag,
    );
    let not_modified = get_with(&app, &path, Some(sec), &[("if-none-match", &staff_tag)]).await;
    assert_not_modified(&not_modified, &staff_tag);
    assert_eq!(header(&not_modified, "cache-control"), "private, no-cache");

    // The list, too, is tagged per representation.
    let list = format!("/announcements?station_id={}", s.id);
    let anonymous_list = etag(&get_with(&app, &list, None, &[]).await);
    let staff_list = etag(&get_with(&app, &list, Some(sec), &[]).await);
    assert_ne!(anonymous_list, staff_list);
}

#[tokio::test]
async fn cache_control_follows_the_caller_and_the_answer() {
    let app = spawn_app().await;
    let s = station(&app, "东湖站").await;
    let sec = &s.secretary.1;

    // Anonymous reads of the public collections, lists and members.
    let public = [
        "/stations".to_owned(),
        format!("/stations/{}", s.id),
        format!("/platforms?station_id={}", s.id),
        "/service-items".to_owned(),
        "/activities".to_owned(),
        "/announcements".to_owned(),
    ];
    for path in &public {
        let reply = get_with(&app, path, None, &[]).await;
        reply.assert_status(200);
        assert_eq!(header(&reply, "cache-control"), "public, max-age=60", "{path}");
        // The same reads with a token are personal.
        let mine = get_with(&app, path, Some(sec), &[]).await;
        mine.assert_status(200);
        assert_eq!(header(&mine, "cache-control"), "private, no-cache", "{path}");
    }
    let me = app.get("/me", Some(sec)).await;
    me.assert_status(200);
    assert_eq!(header(&me, "cache-control"), "private, no-cache");
    assert!(!header(&me, "etag").is_empty());

    // Token answers keep their own `no-store`.
    let login = app.login(ADMIN_PHONE, ADMIN_PASSWORD).await;
    login.assert_status(200);
    assert_eq!(header(&login, "cache-control"), "no-store");

    // An anonymous write's answer (a registration echoes phone and name): `no-store`.
    let registered = app
        .post(
            "/auth/register",
            None,
            json!({"phone": unique_phone(), "password": PASSWORD, "name": "王芳", "station_id": s.id}),
        )
        .await;
    registered.assert_status(201);
    assert_eq!(header(&registered, "cache-control"), "no-store");

    // Errors are never stored, and never tagged.
    let missing = app.get("/stations/999999", None).await;
    missing.assert_problem(404, "NOT_FOUND");
    let unauthorized = app.get("/me", None).await;
    unauthorized.assert_problem(401, "MISSING_TOKEN");
    let forbidden = app.get("/audit-log", Some(sec)).await;
    forbidden.assert_problem(403, "FORBIDDEN");
    let bad_login = app.login(ADMIN_PHONE, "wrong-password-1").await;
    bad_login.assert_problem(401, "INVALID_CREDENTIALS");
    for reply in [&missing, &unauthorized, &forbidden, &bad_login] {
        assert_eq!(header(reply, "cache-control"), "no-store", "{}", reply.text);
        assert_eq!(header(reply, "etag"), "", "{}", reply.text);
    }
    // Even with a matching-anything `If-None-Match`, an error stays an error.
    get_with(&app, "/stations/999999", None, &[("if-none-match", "*")])
        .await
        .assert_problem(404, "NOT_FOUND");
}

#[tokio::test]
async fn public_cache_secs_sets_the_shared_lifetime_and_zero_turns_it_off() {
    let app = spawn_app_with(&[("PUBLIC_CACHE_SECS", "5")]).await;
    let reply = app.get("/stations", None).await;
    assert_eq!(header(&reply, "cache-control"), "public, max-age=5");
    let off = spawn_app_with(&[("PUBLIC_CACHE_SECS", "0")]).await;
    let reply = off.get("/stations", None).await;
    assert_eq!(header(&reply, "cache-control"), "no-cache");
    assert!(!header(&reply, "etag").is_empty());
}

#[tokio::test]
async fn ledger_downloads_are_not_tagged_but_its_json_is() {
    let app = spawn_app().await;
    let s = station(&app, "东湖站").await;
    let sec = &s.secretary.1;
    let year = chrono::Utc::now().format("%Y").to_string();
    for format in ["csv", "xlsx"] {
        let response = app
            .client
            .get(app.url(&format!("/ledger?year={year}&format={format}")))
            .bearer_auth(sec)
            .header("if-none-match", "*")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{format}");
        assert!(response.headers().get("etag").is_none(), "{format}");
        assert_eq!(response.headers()["cache-control"], "private, no-cache");
        assert!(!response.bytes().await.unwrap().is_empty());
    }
    // The JSON form is tagged (its `generated_at` makes every answer a new representation).
    let json = app.get(&format!("/ledger?year={year}"), Some(sec)).await;
    etag(&json);
    assert_eq!(header(&json, "cache-control"), "private, no-cache");
}

#[tokio::test]
async fn accept_language_en_gives_english_problem_texts_chinese_stays_the_default() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.create_station("东湖站").await;
    let english = [("accept-language", "en-US,en;q=0.9,zh;q=0.5")];

    // 404
    let missing = get_with(&app, "/stations/999999", None, &english).await;
    missing.assert_problem(404, "NOT_FOUND");
    assert_eq!(missing.body["detail"], "The resource does not exist.");
    assert_eq!(missing.body["title"], "Not Found");
    assert_eq!(header(&missing, "content-language"), "en");
    assert!(vary(&missing).contains(&"accept-language".to_owned()));

    // 409
    let duplicate = json!({"name": "东湖站", "district": "武昌区", "address": "x"});
    let taken = app
        .client
        .post(app.url("/stations"))
        .bearer_auth(&admin)
        .header("accept-language", "en")
        .json(&duplicate)
        .send()
        .await
        .unwrap();
    let taken = into_reply(taken).await;
    taken.assert_problem(409, "STATION_NAME_TAKEN");
    assert_eq!(taken.body["detail"], "A station with this name already exists.");
    assert_eq!(header(&taken, "content-language"), "en");

    // 422 with per-field errors
    let invalid = app
        .client
        .post(app.url("/stations"))
        .bearer_auth(&admin)
        .header("accept-language", "en")
        .json(&json!({"name": "", "district": "武昌区", "address": "x"}))
        .send()
        .await
        .unwrap();
    let invalid = into_reply(invalid).await;
    invalid.assert_problem(422, "VALIDATION_FAILED");
    assert_eq!(
        invalid.body["detail"],
        "The request did not pass validation; see `errors`."
    );
    assert_eq!(invalid.body["errors"][0]["field"], "name");
    assert_eq!(invalid.body["errors"][0]["message"], "The field `name` is not valid.");
    assert_eq!(header(&invalid, "content-language"), "en");

    // Chinese without the header, for Chinese first, and for languages this server lacks.
    for headers in [
        &[][..],
        &[("accept-language", "zh-CN,zh;q=0.9,en;q=0.8")][..],
        &[("accept-language", "fr")][..],
    ] {
        let reply = get_with(&app, "/stations/999999", None, headers).await;
        reply.assert_problem(404, "NOT_FOUND");
        assert_eq!(reply.body["detail"], "实践站不存在", "{headers:?}");
        assert_eq!(header(&reply, "content-language"), "zh-CN");
        assert!(vary(&reply).contains(&"accept-language".to_owned()));
    }
    let chinese = app.post("/stations", Some(&admin), duplicate).await;
    chinese.assert_problem(409, "STATION_NAME_TAKEN");
    assert_eq!(chinese.body["detail"], "已有同名实践站");

    // Successful answers are not rewritten.
    let list = get_with(&app, "/stations", None, &english).await;
    assert_eq!(list.assert_status(200)["items"][0]["name"], "东湖站");
}

#[tokio::test]
async fn the_start_up_log_names_the_docs_address() {
    let app = spawn_app().await;
    let log = tempfile::NamedTempFile::new().unwrap();
    let process = app
        .spawn_process_logging_to(&[("RUST_LOG", "info")], Some(log.path()))
        .await;
    let text = std::fs::read_to_string(log.path()).unwrap();
    let expected = format!("docs at {}/docs/", process.address);
    assert!(text.contains(&expected), "{expected:?} not in the log:\n{text}");
}
