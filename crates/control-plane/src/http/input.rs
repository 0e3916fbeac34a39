//! Reading requests: JSON bodies, query strings and path ids, with every problem collected and
//! reported together as `VALIDATION_FAILED` (API.md §1.2, §1.5, §1.12).
//!
//! Bodies are parsed into a JSON object first and read field by field, so type errors, missing
//! fields and range errors all carry the field path and reason token of the contract instead of a
//! framework's message. Unknown fields are ignored, as the contract requires.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::header;
use axum::http::request::Parts;
use graph_olap_api::{ErrorCode, FieldError, IsoDuration};
use serde_json::{Map, Value};

use graph_olap_server_kit::error::ApiError;

/// Maximum request body of the control plane.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// A JSON object body (`{}` when the body is empty).
#[derive(Debug, Clone, Default)]
pub struct JsonBody(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(ct) = req.headers().get(header::CONTENT_TYPE) {
            let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
            let essence = ct.split(';').next().unwrap_or("").trim();
            if !essence.is_empty() && essence != "application/json" {
                return Err(ApiError::invalid(
                    "body",
                    "unsupported_media_type",
                    format!("Content-Type '{essence}' is not supported; send application/json"),
                ));
            }
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                ApiError::invalid("body", "invalid_body", "The request body could not be read")
            }
        })?;
        parse_object(&bytes).map(JsonBody)
    }
}

/// `413 PAYLOAD_TOO_LARGE`.
pub fn too_large() -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!("The request body exceeds {MAX_BODY_BYTES} bytes"),
    )
    .detail("max_bytes", MAX_BODY_BYTES as i64)
}

/// Parses bytes as a JSON object; empty input is `{}`.
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::invalid(
            "body",
            "type",
            "The request body must be a JSON object",
        )),
        Err(e) => Err(ApiError::invalid(
            "body",
            "invalid_json",
            format!("The request body is not valid JSON: {e}"),
        )),
    }
}

/// A field that may be absent, explicitly `null`, or set (partial updates, §1.10).
#[derive(Debug, Clone, PartialEq)]
pub enum Patch<T> {
    /// Not in the body: leave unchanged.
    Absent,
    /// `null`: clear.
    Null,
    /// A new value.
    Set(T),
}

impl<T> Patch<T> {
    /// Whether the field was sent at all.
    pub fn is_present(&self) -> bool {
        !matches!(self, Patch::Absent)
    }

    /// `None` when absent, `Some(None)` when null, `Some(Some(v))` when set.
    pub fn into_option(self) -> Option<Option<T>> {
        match self {
            Patch::Absent => None,
            Patch::Null => Some(None),
            Patch::Set(v) => Some(Some(v)),
        }
    }
}

/// Reads typed fields out of a JSON object, collecting problems instead of stopping at the first.
#[derive(Debug)]
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
    prefix: String,
    errors: &'a mut Vec<FieldError>,
}

/// Whether a string must be present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Missing → `required`.
    Required,
    /// Missing → `None`.
    Optional,
}

impl<'a> Fields<'a> {
    /// Reader over `map`; field paths are `prefix` + name (`prefix` ends with `.` or is empty).
    pub fn new(
        map: &'a Map<String, Value>,
        prefix: impl Into<String>,
        errors: &'a mut Vec<FieldError>,
    ) -> Self {
        Self {
            map,
            prefix: prefix.into(),
            errors,
        }
    }

    /// The path of `key` in error reports.
    pub fn path(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    /// Records a problem.
    pub fn error(&mut self, key: &str, reason: &str, message: impl Into<String>) {
        let field = self.path(key);
        self.errors.push(FieldError::new(field, reason, message));
    }

    /// The raw value of `key`.
    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    /// Whether `key` is present (even as null).
    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    fn missing(&mut self, key: &str) {
        self.error(key, "required", format!("'{}' is required", self.path(key)));
    }

    /// A string of 1..=`max` characters after trimming when `trim` (names), with no control characters when `plain`.
    pub fn text(&mut self, key: &str, need: Need, min: usize, max: usize) -> Option<String> {
        match self.text_patch(key, min, max) {
            Patch::Set(v) => Some(v),
            Patch::Absent if need == Need::Required => {
                self.missing(key);
                None
            }
            Patch::Null if need == Need::Required => {
                self.error(
                    key,
                    "type",
                    format!("'{}' must not be null", self.path(key)),
                );
                None
            }
            _ => None,
        }
    }

    /// A nullable string for partial updates.
    pub fn text_patch(&mut self, key: &str, min: usize, max: usize) -> Patch<String> {
        match self.map.get(key) {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Null,
            Some(Value::String(s)) => {
                let n = s.chars().count();
                if n < min {
                    self.error(
                        key,
                        "too_short",
                        format!("'{}' must have at least {min} character(s)", self.path(key)),
                    );
                    Patch::Absent
                } else if n > max {
                    self.error(
                        key,
                        "too_long",
                        format!("'{}' must have at most {max} characters", self.path(key)),
                    );
                    Patch::Absent
                } else {
                    Patch::Set(s.clone())
                }
            }
            Some(_) => {
                self.error(
                    key,
                    "type",
                    format!("'{}' must be a string", self.path(key)),
                );
                Patch::Absent
            }
        }
    }

    /// A resource name (§1.9): trimmed, 1–255 characters, no control characters.
    pub fn name(&mut self, key: &str, need: Need) -> Option<String> {
        match self.name_patch(key) {
            Patch::Set(v) => Some(v),
            Patch::Absent | Patch::Null if need == Need::Required && !self.has(key) => {
                self.missing(key);
                None
            }
            Patch::Null => {
                self.error(
                    key,
                    "type",
                    format!("'{}' must not be null", self.path(key)),
                );
                None
            }
            _ => None,
        }
    }

    /// A resource name for partial updates (`null` is reported as an error: names are not nullable).
    pub fn name_patch(&mut self, key: &str) -> Patch<String> {
        match self.map.get(key) {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Null,
            Some(Value::String(s)) => match check_name(s) {
                Ok(v) => Patch::Set(v),
                Err((reason, message)) => {
                    self.error(key, reason, format!("'{}' {message}", self.path(key)));
                    Patch::Absent
                }
            },
            Some(_) => {
                self.error(
                    key,
                    "type",
                    format!("'{}' must be a string", self.path(key)),
                );
                Patch::Absent
            }
        }
    }

    /// An integer within `[min, max]`.
    pub fn int(&mut self, key: &str, need: Need, min: i64, max: i64) -> Option<i64> {
        match self.map.get(key) {
            None | Some(Value::Null) => {
                if need == Need::Required {
                    self.missing(key);
                }
                None
            }
            Some(Value::Number(n)) => match n.as_i64() {
                Some(v) if (min..=max).contains(&v) => Some(v),
                Some(_) => {
                    self.error(
                        key,
                        "out_of_range",
                        format!("'{}' must be between {min} and {max}", self.path(key)),
                    );
                    None
                }
                None => {
                    self.error(
                        key,
                        "type",
                        format!("'{}' must be an integer", self.path(key)),
                    );
                    None
                }
            },
            Some(_) => {
                self.error(
                    key,
                    "type",
                    format!("'{}' must be an integer", self.path(key)),
                );
                None
            }
        }
    }

    /// A boolean.
    pub fn bool(&mut self, key: &str, need: Need) -> Option<bool> {
        match self.map.get(key) {
            None | Some(Value::Null) => {
                if need == Need::Required {
                    self.missing(key);
                }
                None
            }
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.error(
                    key,
                    "type",
                    format!("'{}' must be true or false", self.path(key)),
                );
                None
            }
        }
    }

    /// An ISO 8601 duration (§1.8) for partial updates; `""` is invalid, `null` clears.
    pub fn duration(&mut self, key: &str) -> Patch<IsoDuration> {
        match self.map.get(key) {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Null,
            Some(Value::String(s)) => match IsoDuration::parse(s) {
                Ok(d) => Patch::Set(d),
                Err(e) => {
                    self.error(key, e.reason(), e.to_string());
                    Patch::Absent
                }
            },
            Some(_) => {
                self.error(
                    key,
                    "type",
                    format!(
                        "'{}' must be an ISO 8601 duration string such as PT24H",
                        self.path(key)
                    ),
                );
                Patch::Absent
            }
        }
    }

    /// One of `allowed` (case-insensitive), returned lower-cased.
    pub fn choice(&mut self, key: &str, need: Need, allowed: &[&str]) -> Option<String> {
        let value = self.text(key, need, 0, 255)?;
        let lower = value.to_ascii_lowercase();
        if allowed.contains(&lower.as_str()) {
            Some(lower)
        } else {
            self.error(
                key,
                "enum",
                format!(
                    "'{}' must be one of: {}",
                    self.path(key),
                    allowed.join(", ")
                ),
            );
            None
        }
    }
}

/// Validates a name per §1.9 and returns it trimmed.
pub fn check_name(raw: &str) -> Result<String, (&'static str, String)> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(("too_short", "must not be empty".into()));
    }
    if trimmed.chars().count() > 255 {
        return Err(("too_long", "must have at most 255 characters".into()));
    }
    if trimmed
        .chars()
        .any(|c| (c as u32) < 0x20 || c as u32 == 0x7f)
    {
        return Err(("pattern", "must not contain control characters".into()));
    }
    Ok(trimmed.to_string())
}

/// Fails with every collected problem, if any.
pub fn finish(errors: Vec<FieldError>) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Query-string parameters; unknown ones are ignored.
#[derive(Debug, Clone, Default)]
pub struct QueryParams(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(map) = Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| {
                ApiError::invalid(
                    "query",
                    "invalid_query",
                    "The query string could not be parsed",
                )
            })?;
        Ok(QueryParams(map))
    }
}

impl QueryParams {
    /// A string parameter, if present and non-empty.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// An integer parameter within a range.
    pub fn int(&self, key: &str, errors: &mut Vec<FieldError>, min: i64, max: i64) -> Option<i64> {
        let raw = self.0.get(key)?;
        match raw.trim().parse::<i64>() {
            Ok(v) if (min..=max).contains(&v) => Some(v),
            Ok(_) => {
                errors.push(FieldError::new(
                    format!("query.{key}"),
                    "out_of_range",
                    format!("'{key}' must be between {min} and {max}"),
                ));
                None
            }
            Err(_) => {
                errors.push(FieldError::new(
                    format!("query.{key}"),
                    "type",
                    format!("'{key}' must be an integer"),
                ));
                None
            }
        }
    }

    /// A boolean parameter (`true`, `false`, `1`, `0`, case-insensitive).
    pub fn bool(&self, key: &str, errors: &mut Vec<FieldError>) -> Option<bool> {
        let raw = self.0.get(key)?;
        match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => {
                errors.push(FieldError::new(
                    format!("query.{key}"),
                    "type",
                    format!("'{key}' must be true, false, 1 or 0"),
                ));
                None
            }
        }
    }

    /// `offset`/`limit` with defaults and bounds (§1.5).
    pub fn pagination(
        &self,
        errors: &mut Vec<FieldError>,
        default_limit: i64,
        max_limit: i64,
    ) -> (i64, i64) {
        let offset = self
            .int("offset", errors, 0, i64::from(i32::MAX))
            .unwrap_or(0);
        let limit = self
            .int("limit", errors, 1, max_limit)
            .unwrap_or(default_limit);
        (offset, limit)
    }

    /// `sort_by`/`sort_order`: the chosen field (default `default`) and whether it is descending.
    pub fn sort<'s>(
        &self,
        errors: &mut Vec<FieldError>,
        allowed: &[&'s str],
        default: &'s str,
    ) -> (&'s str, bool) {
        let by = match self.0.get("sort_by") {
            None => default,
            Some(v) => match allowed.iter().find(|a| **a == v.as_str()) {
                Some(a) => a,
                None => {
                    errors.push(FieldError::new(
                        "query.sort_by",
                        "enum",
                        format!("sort_by must be one of: {}", allowed.join(", ")),
                    ));
                    default
                }
            },
        };
        let desc = match self.0.get("sort_order").map(|s| s.to_ascii_lowercase()) {
            None => true,
            Some(o) if o == "desc" => true,
            Some(o) if o == "asc" => false,
            Some(_) => {
                errors.push(FieldError::new(
                    "query.sort_order",
                    "enum",
                    "sort_order must be one of: asc, desc",
                ));
                true
            }
        };
        (by, desc)
    }

    /// `search`: 1–255 characters.
    pub fn search(&self, errors: &mut Vec<FieldError>) -> Option<String> {
        let raw = self.0.get("search")?;
        let n = raw.chars().count();
        if n == 0 || n > 255 {
            errors.push(FieldError::new(
                "query.search",
                if n == 0 { "too_short" } else { "too_long" },
                "search must have 1 to 255 characters",
            ));
            return None;
        }
        Some(raw.clone())
    }

    /// `created_after` / `created_before` style timestamp filters.
    pub fn timestamp(
        &self,
        key: &str,
        errors: &mut Vec<FieldError>,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        let raw = self.0.get(key)?;
        match graph_olap_api::time::parse_filter_ts(raw) {
            Some(t) => Some(t),
            None => {
                errors.push(FieldError::new(
                    format!("query.{key}"),
                    "invalid_timestamp",
                    format!("'{raw}' is not an RFC 3339 timestamp or YYYY-MM-DD date"),
                ));
                None
            }
        }
    }
}

/// Parses a path id: a positive 64-bit integer (§1.1).
pub fn path_id(name: &str, raw: &str) -> Result<i64, ApiError> {
    match raw.parse::<i64>() {
        Ok(v) if v > 0 => Ok(v),
        _ => Err(ApiError::invalid(
            &format!("path.{name}"),
            "type",
            format!("'{raw}' is not a valid {name}: expected a positive integer"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(check_name("  x ").unwrap(), "x");
        assert_eq!(check_name("   ").unwrap_err().0, "too_short");
        assert_eq!(check_name("a\u{7}b").unwrap_err().0, "pattern");
        assert_eq!(check_name(&"n".repeat(256)).unwrap_err().0, "too_long");
    }

    #[test]
    fn collects_every_problem() {
        let map = parse_object(br#"{"name": 5, "ttl": "1 day", "n": 1000}"#).unwrap();
        let mut errors = Vec::new();
        let mut f = Fields::new(&map, "", &mut errors);
        assert!(f.name("name", Need::Required).is_none());
        assert_eq!(f.duration("ttl"), Patch::Absent);
        assert!(f.int("n", Need::Required, 1, 100).is_none());
        assert!(f.text("missing", Need::Required, 1, 10).is_none());
        let reasons: Vec<_> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.reason.as_str()))
            .collect();
        assert_eq!(
            reasons,
            vec![
                ("name", "type"),
                ("ttl", "invalid_duration"),
                ("n", "out_of_range"),
                ("missing", "required")
            ]
        );
    }

    #[test]
    fn bodies_must_be_objects() {
        assert!(parse_object(b"").unwrap().is_empty());
        assert!(parse_object(b"[1]").is_err());
        assert!(parse_object(b"{bad").is_err());
    }
}
