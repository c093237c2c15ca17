//! Input hygiene, in one place for every body and query string: no control characters in any
//! text, titles and names trimmed and never blank (zero-width characters do not count as
//! visible), and timestamps within a sane range. Both databases then see the same input.

use actix_web::{
    Error,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
};
use chrono::{DateTime, Datelike};
use serde_json::Value;

use super::AppError;

/// Body fields holding a title or a name: trimmed, and at least one visible character.
const TITLE_FIELDS: [&str; 5] = ["title", "name", "real_name", "theme", "summary"];

/// The years a timestamp may fall in.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// Whether `c` is a control character a client has no business sending: C0 controls except
/// tab, line feed and carriage return, DEL, and the C1 controls.
fn is_forbidden_control(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || ('\u{80}'..='\u{9f}').contains(&c)
}

/// Characters that take no room on screen (zero-width spaces and joiners, the BOM).
fn is_invisible(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{180e}')
}

/// `text` without leading and trailing whitespace or zero-width characters.
pub fn trim_invisible(text: &str) -> &str {
    text.trim_matches(is_invisible)
}

fn field_error(path: &str, message: &str) -> AppError {
    AppError::invalid_field(if path.is_empty() { "body" } else { path }, message)
}

/// Checks and normalises a parsed JSON body in place (see the module comment); the error names
/// the field.
pub fn clean_body(value: &mut Value) -> Result<(), AppError> {
    clean(value, "", None)
}

fn clean(value: &mut Value, path: &str, key: Option<&str>) -> Result<(), AppError> {
    match value {
        Value::String(text) => {
            if text.chars().any(is_forbidden_control) {
                return Err(field_error(path, "不能包含控制字符"));
            }
            let key = key.unwrap_or_default();
            if TITLE_FIELDS.contains(&key) {
                let trimmed = trim_invisible(text);
                if trimmed.is_empty() {
                    return Err(field_error(path, "不能为空或只有空白字符"));
                }
                if trimmed.len() != text.len() {
                    *text = trimmed.to_owned();
                }
            }
            if key.ends_with("_at")
                && let Ok(at) = DateTime::parse_from_rfc3339(text)
                && !YEARS.contains(&at.year())
            {
                return Err(field_error(path, "时间须在 2000 年到 2100 年之间"));
            }
            Ok(())
        }
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                clean(item, &format!("{path}[{index}]"), key)?;
            }
            Ok(())
        }
        Value::Object(fields) => {
            for (name, field) in fields.iter_mut() {
                if name.chars().any(is_forbidden_control) {
                    return Err(field_error(path, "字段名不能包含控制字符"));
                }
                let inner = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                clean(field, &inner, Some(name))?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The first query parameter whose name or value holds a control character.
fn dirty_query_parameter(query: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(name, value)| name.chars().chain(value.chars()).any(is_forbidden_control))
        .map(|(name, _)| name.chars().filter(|c| !is_forbidden_control(*c)).collect())
}

/// Refuses, before any handler runs, a query string with control characters: 422 naming the
/// parameter.
pub async fn clean_query(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<impl MessageBody>>, Error> {
    if let Some(name) = dirty_query_parameter(req.query_string()) {
        let error = AppError::invalid_field(&name, "查询参数不能包含控制字符");
        return Ok(req.error_response(error).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// `text` with the `LIKE` wildcards `%` and `_` (and the escape `\`) escaped by `\`.
pub fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// A `LIKE` pattern that finds `text` anywhere, its wildcards matched literally.
pub fn like_contains(text: &str) -> sea_orm::sea_query::LikeExpr {
    sea_orm::sea_query::LikeExpr::new(format!("%{}%", escape_like(text))).escape('\\')
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn field_of(error: AppError) -> String {
        serde_json::to_value(error.problem()).unwrap_or_default()["errors"][0]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn control_characters_are_refused_naming_the_field() {
        let mut body = json!({"title": "ok", "items": [{"theme": "a\u{0}b"}]});
        assert_eq!(field_of(clean_body(&mut body).unwrap_err()), "items[0].theme");
        let mut body = json!({"description": "line one\nline two\ttabbed"});
        assert!(clean_body(&mut body).is_ok());
        let mut body = json!({"description": "bell\u{7}"});
        assert!(clean_body(&mut body).is_err());
        let mut body = json!({"description": "c1\u{85}"});
        assert!(clean_body(&mut body).is_err());
    }

    #[test]
    fn titles_are_trimmed_and_never_blank() {
        let mut body = json!({"title": "  读书会 \u{200b}", "description": "  kept  "});
        assert!(clean_body(&mut body).is_ok());
        assert_eq!(body, json!({"title": "读书会", "description": "  kept  "}));
        for blank in ["   ", "\u{200b}\u{200c}", "\u{feff} "] {
            let mut body = json!({ "name": blank });
            assert_eq!(field_of(clean_body(&mut body).unwrap_err()), "name");
        }
    }

    #[test]
    fn timestamps_stay_within_the_sane_years() {
        let mut body = json!({"starts_at": "9999-01-01T00:00:00Z"});
        assert_eq!(field_of(clean_body(&mut body).unwrap_err()), "starts_at");
        let mut body = json!({"expected_at": "0001-01-01T00:00:00+08:00"});
        assert!(clean_body(&mut body).is_err());
        let mut body = json!({"starts_at": "2026-12-01T09:00:00+08:00", "note_at": "not a date"});
        assert!(clean_body(&mut body).is_ok());
    }

    #[test]
    fn query_parameters_with_control_characters_are_named() {
        assert_eq!(dirty_query_parameter("q=ok&district=%00"), Some("district".into()));
        assert_eq!(dirty_query_parameter("q=%E4%B8%AD%E6%96%87&page=1"), None);
    }

    #[test]
    fn like_wildcards_match_literally() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;
    use serde_json::{Map, Value};

    use super::*;

    /// Texts heavy in what hygiene looks at: controls (C0, DEL, C1), whitespace, zero-width
    /// characters, LIKE wildcards and their escape; and any text at all.
    fn any_text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[\u{0}-\u{1f}\u{7f}-\u{a0}\u{200b}-\u{200d}\u{2060}\u{feff}\u{180e}\u{3000} a中%_\\\\]{0,10}",
            any::<String>(),
        ]
    }

    fn any_key() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "title",
                "name",
                "real_name",
                "theme",
                "summary",
                "description",
                "starts_at",
                "note"
            ])
            .prop_map(str::to_owned),
            any_text(),
        ]
    }

    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any_text().prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::btree_map(any_key(), inner, 0..5)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    fn refused_field(error: AppError) -> String {
        serde_json::to_value(error.problem()).unwrap_or_default()["errors"][0]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Every key and text of `value`.
    fn texts(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(text) => out.push(text.clone()),
            Value::Array(items) => items.iter().for_each(|item| texts(item, out)),
            Value::Object(fields) => {
                for (name, field) in fields {
                    out.push(name.clone());
                    texts(field, out);
                }
            }
            _ => {}
        }
    }

    proptest! {
        /// A text field either passes (unchanged, or for a title trimmed and still visible) or
        /// is refused with an error naming it; nothing panics.
        #[test]
        fn any_text_passes_unchanged_after_trim_or_is_refused_naming_the_field(key in any_key(), text in any_text()) {
            let mut body = Value::Object(Map::from_iter([(key.clone(), Value::from(text.clone()))]));
            let title = TITLE_FIELDS.contains(&key.as_str());
            let named = if key.is_empty() || key.chars().any(is_forbidden_control) { "body" } else { key.as_str() };
            match clean_body(&mut body) {
                Ok(()) => {
                    prop_assert!(!key.chars().chain(text.chars()).any(is_forbidden_control));
                    let expected = if title { trim_invisible(&text) } else { text.as_str() };
                    prop_assert!(!title || !expected.is_empty());
                    prop_assert_eq!(&body[key.as_str()], &Value::from(expected));
                }
                Err(error) => {
                    let blank_title = title && trim_invisible(&text).is_empty();
                    let timestamp = key.ends_with("_at") && DateTime::parse_from_rfc3339(&text).is_ok();
                    prop_assert!(key.chars().chain(text.chars()).any(is_forbidden_control) || blank_title || timestamp);
                    prop_assert_eq!(refused_field(error), named);
                }
            }
        }

        /// Whatever passes holds no forbidden control character anywhere, and passes again
        /// unchanged.
        #[test]
        fn a_cleaned_body_is_clean_and_cleaning_is_idempotent(mut value in any_json()) {
            if clean_body(&mut value).is_ok() {
                let mut all = Vec::new();
                texts(&value, &mut all);
                prop_assert!(!all.iter().any(|t| t.chars().any(is_forbidden_control)));
                let mut again = value.clone();
                prop_assert!(clean_body(&mut again).is_ok());
                prop_assert_eq!(again, value);
            }
        }

        #[test]
        fn a_timestamp_passes_exactly_within_the_sane_years(year in 0i32..=9999, key in prop::sample::select(vec!["starts_at", "ends_at", "expected_at"])) {
            let mut body = Value::Object(Map::from_iter([(key.to_owned(), Value::from(format!("{year:04}-06-01T08:00:00+08:00")))]));
            prop_assert_eq!(clean_body(&mut body).is_ok(), YEARS.contains(&year));
        }

        /// A query string is refused exactly when a parameter holds a control character, and the
        /// name given back holds none.
        #[test]
        fn a_query_is_refused_exactly_when_a_parameter_holds_a_control(pairs in prop::collection::vec((any_text(), any_text()), 0..4), raw in any::<String>()) {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (name, value) in &pairs {
                query.append_pair(name, value);
            }
            let query = query.finish();
            let dirty = pairs.iter().any(|(n, v)| n.chars().chain(v.chars()).any(is_forbidden_control));
            let found = dirty_query_parameter(&query);
            prop_assert_eq!(found.is_some(), dirty);
            prop_assert!(!found.unwrap_or_default().chars().any(is_forbidden_control));
            // Any raw text, broken escapes included, is read without a panic.
            if let Some(name) = dirty_query_parameter(&raw) {
                prop_assert!(!name.chars().any(is_forbidden_control));
            }
        }

        /// `escape_like` leaves no bare `%` or `_`, and unescapes back to the text.
        #[test]
        fn escape_like_leaves_no_unescaped_wildcard(text in any_text()) {
            let escaped = escape_like(&text);
            let mut unescaped = String::new();
            let mut chars = escaped.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        let next = chars.next();
                        prop_assert!(matches!(next, Some('%' | '_' | '\\')), "dangling escape in {:?}", escaped);
                        unescaped.extend(next);
                    }
                    '%' | '_' => prop_assert!(false, "bare wildcard in {:?}", escaped),
                    other => unescaped.push(other),
                }
            }
            prop_assert_eq!(unescaped, text);
        }
    }
}
