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
