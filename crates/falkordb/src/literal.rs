//! Cypher literals: how parameters and bulk rows travel to FalkorDB.
//!
//! FalkorDB takes query parameters as a `CYPHER name=<literal> …` prefix of the query text, so
//! every parameter value — the analyst's JSON parameters, the rows of a bulk-load batch, the
//! values of a write-back — is written as a Cypher literal here. Owns: quoting of strings and
//! identifiers, number formatting that round-trips, and the JSON → literal rules (API.md §10.6:
//! integer → integer, other numbers → float, string, bool, null, array → list, object → map).
//! Does not own: what the parameters mean.

use std::fmt::Write as _;

use graph_olap_engine::{FailureReason, QueryError, QueryErrorKind};
use serde_json::Value as Json;

/// Appends `s` as a single-quoted string literal.
pub fn push_str(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('\'');
}

/// Appends a float so that it parses back to the same `f64` and reads as a float (`2.0`, not
/// `2`). Non-finite values have no literal and are written as `null`.
pub fn push_f64(out: &mut String, f: f64) {
    if f.is_finite() {
        let _ = write!(out, "{f:?}");
    } else {
        out.push_str("null");
    }
}

/// A back-quoted identifier (label, type, property or parameter name).
pub fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// Appends a JSON value as a literal.
pub fn push_json(out: &mut String, v: &Json) {
    match v {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => match n.as_i64() {
            Some(i) => {
                let _ = write!(out, "{i}");
            }
            None => push_f64(out, n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => push_str(out, s),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json(out, item);
            }
            out.push(']');
        }
        Json::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&ident(k));
                out.push(':');
                push_json(out, item);
            }
            out.push('}');
        }
    }
}

/// The `CYPHER a=… b=… ` prefix for named parameters (empty without parameters). Names must be
/// identifiers (letters, digits, `_`), as in `$name`; anything else is a typed error.
pub fn parameter_prefix(parameters: &serde_json::Map<String, Json>) -> Result<String, QueryError> {
    if parameters.is_empty() {
        return Ok(String::new());
    }
    let mut out = String::from("CYPHER ");
    for (name, value) in parameters {
        let valid = !name.is_empty()
            && name.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if !valid {
            return Err(QueryError {
                kind: QueryErrorKind::Failed {
                    reason: FailureReason::TypeError,
                    parameter: Some(name.clone()),
                },
                message: format!("Parameter name {name:?} is not an identifier"),
            });
        }
        out.push_str(name);
        out.push('=');
        push_json(&mut out, value);
        out.push(' ');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn literals_round_trip_their_types() {
        let mut s = String::new();
        push_json(
            &mut s,
            &json!([1, 2.0, 1e20, "it's \\ \n", null, {"a b": true}]),
        );
        assert_eq!(s, r"[1,2.0,1e20,'it\'s \\ \n',null,{`a b`:true}]");
        let params = json!({"x": 1, "name": "a"});
        assert_eq!(
            parameter_prefix(params.as_object().unwrap()).unwrap(),
            "CYPHER x=1 name='a' "
        );
        let bad = json!({"a b": 1});
        assert!(parameter_prefix(bad.as_object().unwrap()).is_err());
        let mut f = String::new();
        push_f64(&mut f, f64::NAN);
        assert_eq!(f, "null");
    }
}
