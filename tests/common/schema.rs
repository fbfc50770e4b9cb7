//! A JSON Schema checker for the subset `schema/status.schema.json` uses,
//! so the schema is tested against real output without a heavy dependency.
//! A keyword it does not know fails the check: a schema that grows past the
//! subset must grow the checker too, or it would pass unchecked.

use std::path::Path;

use serde_json::{Map, Value};

/// The keywords that only describe.
const ANNOTATIONS: [&str; 4] = ["$schema", "$id", "title", "description"];

/// `schema/status.schema.json`, read from the repository.
pub fn status_schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/status.schema.json");
    let text = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Panics with every place `value` breaks `schema`, each by its JSON pointer.
pub fn assert_valid(schema: &Value, value: &Value) {
    let errors = check(schema, value);
    assert!(
        errors.is_empty(),
        "the JSON breaks its schema:\n{}",
        errors.join("\n")
    );
}

/// Every place `value` breaks `schema`; empty when it holds.
pub fn check(schema: &Value, value: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    Checker { root: schema }.at(schema, value, "", &mut errors);
    errors
}

struct Checker<'a> {
    root: &'a Value,
}

impl Checker<'_> {
    fn at(&self, schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
        let Some(schema) = schema.as_object() else {
            errors.push(format!("{path}: the schema here is not an object"));
            return;
        };
        for (keyword, want) in schema {
            match keyword.as_str() {
                k if ANNOTATIONS.contains(&k) || k == "$defs" => {}
                // Objects' keywords, applied together below.
                "properties" | "required" | "additionalProperties" => {}
                "$ref" => self.reference(want, value, path, errors),
                "type" => type_of(want, value, path, errors),
                "const" if value != want => errors.push(format!("{path}: {value} is not {want}")),
                "const" => {}
                "enum" => {
                    if !want.as_array().unwrap().contains(value) {
                        errors.push(format!("{path}: {value} is not one of {want}"));
                    }
                }
                "anyOf" => self.any_of(want, value, path, errors),
                "items" => {
                    for (i, item) in value.as_array().into_iter().flatten().enumerate() {
                        self.at(want, item, &format!("{path}/{i}"), errors);
                    }
                }
                "minimum" => {
                    if value.as_f64().is_some_and(|n| n < want.as_f64().unwrap()) {
                        errors.push(format!("{path}: {value} is below {want}"));
                    }
                }
                "pattern" => pattern(want, value, path, errors),
                "format" => format(want, value, path, errors),
                other => errors.push(format!("{path}: the checker does not know `{other}`")),
            }
        }
        if let Some(object) = value.as_object() {
            self.object(schema, object, path, errors);
        }
    }

    /// `properties`, `required` and `additionalProperties` of an object.
    fn object(
        &self,
        schema: &Map<String, Value>,
        object: &Map<String, Value>,
        path: &str,
        errors: &mut Vec<String>,
    ) {
        let empty = Map::new();
        let properties = schema
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = name.as_str().unwrap();
            if !object.contains_key(name) {
                errors.push(format!("{path}: `{name}` is missing"));
            }
        }
        for (name, v) in object {
            let here = format!("{path}/{name}");
            match (properties.get(name), schema.get("additionalProperties")) {
                (Some(s), _) => self.at(s, v, &here, errors),
                (None, Some(Value::Bool(false))) => {
                    errors.push(format!("{here}: not in the schema"));
                }
                (None, Some(s @ Value::Object(_))) => self.at(s, v, &here, errors),
                (None, _) => {}
            }
        }
    }

    fn reference(&self, want: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
        let target = want
            .as_str()
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|pointer| self.root.pointer(pointer));
        match target {
            Some(s) => self.at(s, value, path, errors),
            None => errors.push(format!("{path}: cannot resolve $ref {want}")),
        }
    }

    fn any_of(&self, want: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
        let mut reasons = Vec::new();
        for s in want.as_array().unwrap() {
            let mut these = Vec::new();
            self.at(s, value, path, &mut these);
            if these.is_empty() {
                return;
            }
            reasons.extend(these);
        }
        errors.push(format!(
            "{path}: matches none of anyOf: {}",
            reasons.join("; ")
        ));
    }
}

fn type_of(want: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    let is = |name: &str| match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_u64() || value.is_i64(),
        "number" => value.is_number(),
        other => panic!("unknown type {other}"),
    };
    let ok = match want {
        Value::String(one) => is(one),
        Value::Array(any) => any.iter().any(|t| is(t.as_str().unwrap())),
        _ => false,
    };
    if !ok {
        errors.push(format!("{path}: {value} is not of type {want}"));
    }
}

fn pattern(want: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    let re = regex_lite::Regex::new(want.as_str().unwrap()).unwrap();
    if let Some(text) = value.as_str() {
        if !re.is_match(text) {
            errors.push(format!("{path}: {value} does not match {want}"));
        }
    }
}

/// `date-time` is RFC 3339; the pattern beside it narrows it further.
fn format(want: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    assert_eq!(want, "date-time", "the checker knows only date-time");
    if let Some(text) = value.as_str() {
        if chrono::DateTime::parse_from_rfc3339(text).is_err() {
            errors.push(format!("{path}: {value} is not an RFC 3339 time"));
        }
    }
}

/// The checker itself: it must fail what the schema forbids, or passing
/// proves nothing.
pub fn assert_checker_catches_breaks(schema: &Value, good: &Value) {
    assert_valid(schema, good);
    let mut broken = good.clone();
    broken["generated_at"] = Value::from("2026-12-06T06:19:00.998485569Z");
    broken["stray"] = Value::from(1);
    broken["streams"][0]
        .as_object_mut()
        .unwrap()
        .remove("health");
    let errors = check(schema, &broken);
    for want in [
        "/generated_at: \"2026-12-06T06:19:00.998485569Z\" does not match",
        "/stray: not in the schema",
        "/streams/0: `health` is missing",
    ] {
        assert!(
            errors.iter().any(|e| e.starts_with(want)),
            "{want} in {errors:?}"
        );
    }
}
