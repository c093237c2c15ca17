//! The language of problem documents: `Accept-Language` (with q-values) picks English when it
//! prefers `en` (or `en-US`, …) over Chinese; anything else, or no header, gets Chinese, the
//! language every error is built in. The `detail` (and field `message`s) of an English answer
//! come from [`super::messages`]; the `title` is the English reason phrase either way. Every
//! problem answer says its language (`Content-Language`) and that it depends on the header
//! (`Vary: Accept-Language`).

use actix_web::{
    Error,
    body::{self, BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderValue},
    middleware::Next,
};

use super::{
    Problem,
    messages::{english_detail, english_field_message},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Chinese,
    English,
}

impl Lang {
    pub fn tag(self) -> &'static str {
        match self {
            Self::Chinese => "zh-CN",
            Self::English => "en",
        }
    }
}

/// The language an `Accept-Language` value asks for (RFC 9110 §12.5.4). Each of the two
/// languages gets the highest q of the ranges naming it (`en`, `en-GB`, `zh-Hans-CN`), or the
/// q of `*` when none names it; English only wins outright, so ties and `*` stay Chinese.
pub fn negotiate(accept_language: Option<&str>) -> Lang {
    let Some(value) = accept_language else {
        return Lang::Chinese;
    };
    let (mut english, mut chinese, mut any): (Option<f32>, Option<f32>, Option<f32>) = (None, None, None);
    for item in value.split(',') {
        let mut parts = item.split(';');
        let range = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        if range.is_empty() {
            continue;
        }
        let mut q = 1.0_f32;
        for param in parts {
            if let Some((name, value)) = param.split_once('=')
                && name.trim().eq_ignore_ascii_case("q")
            {
                q = value
                    .trim()
                    .parse::<f32>()
                    .ok()
                    .filter(|q| (0.0..=1.0).contains(q))
                    .unwrap_or(0.0);
            }
        }
        let primary = range.split('-').next().unwrap_or_default();
        let slot = match primary {
            "en" => &mut english,
            "zh" => &mut chinese,
            "*" => &mut any,
            _ => continue,
        };
        *slot = Some(slot.map_or(q, |old: f32| old.max(q)));
    }
    let english = english.or(any).unwrap_or(0.0);
    let chinese = chinese.or(any).unwrap_or(0.0);
    if english > 0.0 && english > chinese {
        Lang::English
    } else {
        Lang::Chinese
    }
}

/// The body a problem document in Chinese has in English, or `None` when it is not one.
fn in_english(body: &[u8]) -> Option<Vec<u8>> {
    let mut problem: Problem = serde_json::from_slice(body).ok()?;
    if let Some(detail) = english_detail(&problem.code) {
        problem.detail = detail.to_owned();
    }
    for error in problem.errors.iter_mut().flatten() {
        error.message = english_field_message(&problem.code, &error.field);
    }
    serde_json::to_vec(&problem).ok()
}

fn is_problem(response: &ServiceResponse<impl MessageBody>) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"))
}

pub async fn localize(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let lang = negotiate(req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()));
    let response = next.call(req).await?.map_into_boxed_body();
    if !is_problem(&response) {
        return Ok(response);
    }
    let (request, mut response) = response.into_parts();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.tag()));
    headers.append(header::VARY, HeaderValue::from_static("Accept-Language"));
    if lang == Lang::Chinese {
        return Ok(ServiceResponse::new(request, response));
    }
    let (response, body) = response.into_parts();
    // Problem documents are a few hundred bytes, built in memory: reading one cannot fail in
    // practice, and one that did would be answered without a body rather than half a one.
    let bytes = match body::to_bytes_limited(body, 64 * 1024).await {
        Ok(Ok(bytes)) => bytes,
        _ => return Ok(ServiceResponse::new(request, response.set_body(BoxBody::new(())))),
    };
    let english = in_english(&bytes).map_or(bytes, Into::into);
    Ok(ServiceResponse::new(request, response.set_body(BoxBody::new(english))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_when_preferred_chinese_otherwise() {
        for value in [
            "en",
            "en-US",
            "EN-gb",
            "en-US,en;q=0.9",
            "fr, en;q=0.5",
            "zh;q=0.5, en",
            "en, *;q=0.1",
        ] {
            assert_eq!(negotiate(Some(value)), Lang::English, "{value}");
        }
        for value in [
            "",
            "*",
            "zh-CN",
            "zh-CN,zh;q=0.9,en;q=0.8",
            "fr",
            "en;q=0",
            "en;q=0.5, zh;q=0.5",
            "en;q=abc",
            "de, *;q=0.5",
        ] {
            assert_eq!(negotiate(Some(value)), Lang::Chinese, "{value}");
        }
        assert_eq!(negotiate(None), Lang::Chinese);
    }

    #[test]
    fn english_problem_replaces_detail_and_field_messages() {
        let chinese = r#"{"type":"x","title":"Unprocessable Entity","status":422,"detail":"请求内容未通过校验","code":"VALIDATION_FAILED","errors":[{"field":"phone","message":"手机号格式不正确"}]}"#;
        let english: serde_json::Value = serde_json::from_slice(&in_english(chinese.as_bytes()).unwrap()).unwrap();
        assert_eq!(english["detail"], english_detail("VALIDATION_FAILED").unwrap());
        assert_eq!(english["errors"][0]["message"], "The field `phone` is not valid.");
        assert_eq!(english["title"], "Unprocessable Entity");
        assert!(
            String::from_utf8(in_english(chinese.as_bytes()).unwrap())
                .unwrap()
                .starts_with(r#"{"type":"x","title""#)
        );
        assert!(in_english(b"not json").is_none());
    }
}
