//! Passes over the finished document for what the derives cannot say, so that a client
//! generated from it is typed as tightly as the answers really are: every field an answer
//! always carries is `required`, list items are referenced rather than inlined, the headers
//! the server sets are declared, `Problem.code` is the enum of every code the server can answer,
//! and every error answer has an example per code it names.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::http::messages::ERROR_CODES;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Applies every pass, in an order where each sees the previous ones' work.
pub fn apply(doc: &mut Value) {
    servers_and_contact(doc);
    public_operations(doc);
    page_items_by_reference(doc);
    always_present_fields_required(doc);
    busy_answers(doc);
    response_headers(doc);
    error_code_enum(doc);
    error_examples(doc);
}

fn operations(doc: &mut Value) -> impl Iterator<Item = &mut Map<String, Value>> {
    doc["paths"]
        .as_object_mut()
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .flat_map(|item| {
            item.as_object_mut()
                .into_iter()
                .flat_map(|item| item.iter_mut())
                .filter(|(method, _)| METHODS.contains(&method.as_str()))
                .filter_map(|(_, operation)| operation.as_object_mut())
        })
}

fn servers_and_contact(doc: &mut Value) {
    doc["servers"] = json!([{
        "url": "{scheme}://{host}",
        "description": "The server that serves this document (the default is `cargo run`'s `BIND_ADDR`)",
        "variables": {
            "scheme": {"default": "http", "enum": ["http", "https"]},
            "host": {"default": "127.0.0.1:8080", "description": "Host and port of the server"}
        }
    }]);
    doc["info"]["contact"] = json!({"name": "wenming maintainers", "url": "https://wenming.dev"});
}

/// Operations that need no token say so (`security: []`) instead of saying nothing.
fn public_operations(doc: &mut Value) {
    for operation in operations(doc) {
        operation.entry("security").or_insert_with(|| json!([]));
    }
}

/// `Page_X.items` names `X` instead of repeating it inline.
fn page_items_by_reference(doc: &mut Value) {
    let Some(schemas) = doc["components"]["schemas"].as_object_mut() else {
        return;
    };
    let names: BTreeSet<String> = schemas.keys().cloned().collect();
    for (name, schema) in schemas.iter_mut() {
        let Some(item) = name.strip_prefix("Page_") else {
            continue;
        };
        if names.contains(item) {
            schema["properties"]["items"]["items"] = json!({"$ref": format!("#/components/schemas/{item}")});
        }
    }
}

fn references(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref")
                && let Some(name) = target.strip_prefix("#/components/schemas/")
            {
                out.insert(name.to_owned());
            }
            map.values().for_each(|v| references(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, out)),
        _ => {}
    }
}

/// The schemas reachable from `roots`, following references through the components.
fn reachable(schemas: &Map<String, Value>, roots: BTreeSet<String>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut queue: Vec<String> = roots.into_iter().collect();
    while let Some(name) = queue.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let mut next = BTreeSet::new();
        if let Some(schema) = schemas.get(&name) {
            references(schema, &mut next);
        }
        queue.extend(next.into_iter().filter(|n| !seen.contains(n)));
    }
    seen
}

/// Answers always carry every field their schema names (a `null` where there is nothing), so
/// every property of a schema only answers use is `required`. Schemas that requests also use
/// keep their optional fields.
fn always_present_fields_required(doc: &mut Value) {
    let (mut in_requests, mut in_responses) = (BTreeSet::new(), BTreeSet::new());
    for operation in operations(doc) {
        for key in ["requestBody", "parameters"] {
            if let Some(part) = operation.get(key) {
                references(part, &mut in_requests);
            }
        }
        if let Some(responses) = operation.get("responses") {
            references(responses, &mut in_responses);
        }
    }
    let Some(schemas) = doc["components"]["schemas"].as_object_mut() else {
        return;
    };
    let in_requests = reachable(schemas, in_requests);
    let answers_only = reachable(schemas, in_responses);
    for name in answers_only.difference(&in_requests) {
        let Some(Value::Object(schema)) = schemas.get_mut(name) else {
            continue;
        };
        let Some(Value::Object(properties)) = schema.get("properties") else {
            continue;
        };
        let all: Vec<Value> = properties
            .keys()
            .filter(|field| !OMITTED_WHEN_EMPTY.contains(&(name.as_str(), field.as_str())))
            .map(|field| Value::String(field.clone()))
            .collect();
        schema.insert("required".to_owned(), Value::Array(all));
    }
}

/// Answer fields left out, rather than `null`, when there is nothing to say.
const OMITTED_WHEN_EMPTY: &[(&str, &str)] = &[("Problem", "errors")];

/// Any operation may find the server or its database too busy; nothing was changed then.
fn busy_answers(doc: &mut Value) {
    let busy = json!({
        "description": "The server or its database is busy or unreachable (`BUSY`, `DATABASE_UNAVAILABLE`): nothing was changed; retry after `Retry-After` seconds",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    });
    for operation in operations(doc) {
        if let Some(Value::Object(responses)) = operation.get_mut("responses") {
            responses.entry("503").or_insert_with(|| busy.clone());
        }
    }
}

fn header(description: &str, schema: Value) -> Value {
    json!({"description": description, "schema": schema})
}

/// The headers the server sets, declared once in the components and referenced by every
/// answer that carries them.
fn response_headers(doc: &mut Value) {
    let components = doc["components"].as_object_mut().expect("the document has components");
    components.insert(
        "headers".to_owned(),
        json!({
            "X-Request-Id": header(
                "This request's id (the client's own `X-Request-Id` when it sent a valid one): quote it when reporting a problem",
                json!({"type": "string"}),
            ),
            "Location": header("Where the created resource is", json!({"type": "string"})),
            "Idempotent-Replayed": header(
                "`true` when this is the stored answer to an earlier request with the same `Idempotency-Key`",
                json!({"type": "string", "enum": ["true"]}),
            ),
            "Retry-After": header("Seconds to wait before trying again", json!({"type": "integer", "minimum": 0})),
        }),
    );
    let reference = |name: &str| json!({"$ref": format!("#/components/headers/{name}")});
    for operation in operations(doc) {
        let idempotent = operation
            .get("parameters")
            .and_then(Value::as_array)
            .is_some_and(|ps| ps.iter().any(|p| p["name"] == "Idempotency-Key"));
        let Some(Value::Object(responses)) = operation.get_mut("responses") else {
            continue;
        };
        for (status, response) in responses.iter_mut() {
            let Some(response) = response.as_object_mut() else {
                continue;
            };
            let headers = response
                .entry("headers")
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("headers are a map");
            headers.insert("X-Request-Id".to_owned(), reference("X-Request-Id"));
            match status.as_str() {
                "201" => {
                    headers.insert("Location".to_owned(), reference("Location"));
                }
                "429" | "503" => {
                    headers.insert("Retry-After".to_owned(), reference("Retry-After"));
                }
                _ => {}
            }
            if idempotent && status.starts_with('2') {
                headers.insert("Idempotent-Replayed".to_owned(), reference("Idempotent-Replayed"));
            }
        }
    }
}

/// `Problem.code` lists every code the server can answer, and the description documents each
/// once.
fn error_code_enum(doc: &mut Value) {
    let codes: Vec<&str> = ERROR_CODES.iter().map(|(code, _)| *code).collect();
    doc["components"]["schemas"]["Problem"]["properties"]["code"]["enum"] = json!(codes);
    let mut table = String::from(
        "\n\n## Error codes\n\nEvery problem document's `code` is one of these; the operations list which they can answer.\n\n| code | meaning |\n|---|---|\n",
    );
    for (code, meaning) in ERROR_CODES {
        table.push_str(&format!("| `{code}` | {} |\n", meaning.replace('|', "\\|")));
    }
    if let Some(Value::String(description)) = doc["info"].get_mut("description") {
        description.push_str(&table);
    }
}

/// The codes an error answer's description names, in order, each once.
fn codes_named(description: &str, known: &BTreeMap<&str, &str>) -> Vec<String> {
    let mut codes = Vec::new();
    for part in description.split('`').skip(1).step_by(2) {
        if known.contains_key(part) && !codes.iter().any(|c| c == part) {
            codes.push(part.to_owned());
        }
    }
    codes
}

/// A problem document of `code`, as the server would answer it.
fn problem(status: u16, code: &str, detail: &str) -> Value {
    let mut body = super::problem_example(status, code, detail);
    if code == "VALIDATION_FAILED" {
        body["errors"] = json!([{"field": "phone", "message": "The field `phone` is not valid."}]);
    }
    body
}

/// Every error answer without an example gets one per code its description names (with the
/// English `detail`, as `Accept-Language: en` would show it).
fn error_examples(doc: &mut Value) {
    let known: BTreeMap<&str, &str> = ERROR_CODES.iter().copied().collect();
    for operation in operations(doc) {
        let Some(Value::Object(responses)) = operation.get_mut("responses") else {
            continue;
        };
        for (status, response) in responses.iter_mut() {
            let Ok(status) = status.parse::<u16>() else {
                continue;
            };
            if status < 400 {
                continue;
            }
            let description = response["description"].as_str().unwrap_or_default().to_owned();
            let Some(content) = response
                .get_mut("content")
                .and_then(|c| c.get_mut("application/problem+json"))
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            if content.contains_key("example") || content.contains_key("examples") {
                continue;
            }
            let examples: Map<String, Value> = codes_named(&description, &known)
                .into_iter()
                .map(|code| {
                    let value = problem(status, &code, known[code.as_str()]);
                    (code.clone(), json!({"summary": code, "value": value}))
                })
                .collect();
            if !examples.is_empty() {
                content.insert("examples".to_owned(), Value::Object(examples));
            }
        }
    }
}
