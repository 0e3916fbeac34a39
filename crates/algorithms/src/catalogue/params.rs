//! Strict validation of a request's `parameters` object against a catalogue entry.
//!
//! Unknown keys, wrong JSON types, values out of range or outside the enum are refused with a
//! [`ParamError`] naming the field as `parameters.<name>` (API.md §10.9 → `400 VALIDATION_FAILED`).
//! Accepted parameters are returned with every default filled in, ready to echo back as the
//! execution's effective `parameters`.

use serde_json::{Map, Value};

use crate::catalogue::types::{AlgorithmInfo, Param, ParamType};

/// Why a parameter was refused.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamErrorReason {
    /// `parameters` is not a JSON object.
    NotAnObject,
    /// The algorithm has no such parameter.
    Unknown,
    /// A required parameter is missing.
    Missing,
    /// The JSON type does not match the declared type.
    WrongType,
    /// A number is outside its bounds.
    OutOfRange,
    /// A string is not one of the allowed values.
    NotAllowed,
    /// A parameter was given under two names (e.g. `k` and `sample_size`).
    Duplicate,
}

/// A refused parameter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ParamError {
    /// `parameters.<name>` (or `parameters` for the whole object).
    pub field: String,
    /// Machine-readable reason.
    pub reason: ParamErrorReason,
    /// Human explanation.
    pub message: String,
}

impl ParamError {
    fn new(name: &str, reason: ParamErrorReason, message: impl Into<String>) -> Self {
        let field = if name.is_empty() {
            "parameters".to_string()
        } else {
            format!("parameters.{name}")
        };
        Self {
            field,
            reason,
            message: message.into(),
        }
    }
}

/// Parameters accepted by [`validate`]: every declared parameter present, defaults filled in.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValidatedParams(Map<String, Value>);

impl ValidatedParams {
    /// The effective parameters as a JSON object (for `AlgorithmExecution.parameters`).
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// Consumes into the JSON object.
    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }

    /// Raw value (`Null` when unset).
    pub fn get(&self, name: &str) -> &Value {
        self.0.get(name).unwrap_or(&Value::Null)
    }

    /// A float parameter (`default` if unset or null).
    pub fn f64_or(&self, name: &str, default: f64) -> f64 {
        self.get(name).as_f64().unwrap_or(default)
    }

    /// An integer parameter as `usize` (`default` if unset, null or negative).
    pub fn usize_or(&self, name: &str, default: usize) -> usize {
        self.get(name)
            .as_u64()
            .map_or(default, |x| usize::try_from(x).unwrap_or(usize::MAX))
    }

    /// An optional integer parameter as `usize`.
    pub fn opt_usize(&self, name: &str) -> Option<usize> {
        self.get(name)
            .as_u64()
            .map(|x| usize::try_from(x).unwrap_or(usize::MAX))
    }

    /// A seed (`0` if unset or null).
    pub fn seed(&self) -> u64 {
        self.get("seed").as_u64().unwrap_or(0)
    }

    /// A boolean parameter.
    pub fn bool_or(&self, name: &str, default: bool) -> bool {
        self.get(name).as_bool().unwrap_or(default)
    }

    /// A string parameter.
    pub fn str_or<'a>(&'a self, name: &str, default: &'a str) -> &'a str {
        self.get(name).as_str().unwrap_or(default)
    }
}

fn type_name(t: ParamType) -> &'static str {
    match t {
        ParamType::Int => "an integer",
        ParamType::Float => "a number",
        ParamType::String => "a string",
        ParamType::Bool => "a boolean",
        ParamType::IntList => "an array of integers",
        ParamType::StringList => "an array of strings",
        ParamType::Any => "any value",
    }
}

fn check_one(p: &Param, v: &Value) -> Result<Value, ParamError> {
    use ParamErrorReason::*;
    if v.is_null() {
        return if p.nullable || p.default.is_null() && !p.required {
            Ok(Value::Null)
        } else {
            Err(ParamError::new(
                p.name,
                WrongType,
                format!("must be {}, not null", type_name(p.param_type)),
            ))
        };
    }
    let wrong = || {
        ParamError::new(
            p.name,
            WrongType,
            format!("must be {}", type_name(p.param_type)),
        )
    };
    let number = match p.param_type {
        ParamType::Int => Some(v.as_i64().ok_or_else(wrong)? as f64),
        ParamType::Float => Some(v.as_f64().ok_or_else(wrong)?),
        ParamType::Bool => {
            v.as_bool().ok_or_else(wrong)?;
            None
        }
        ParamType::String => {
            let s = v.as_str().ok_or_else(wrong)?;
            if let Some(allowed) = &p.allowed
                && !allowed.contains(&s)
            {
                return Err(ParamError::new(
                    p.name,
                    NotAllowed,
                    format!("must be one of {}", allowed.join(", ")),
                ));
            }
            None
        }
        ParamType::IntList => {
            let a = v.as_array().ok_or_else(wrong)?;
            if a.iter().any(|x| x.as_i64().is_none()) {
                return Err(wrong());
            }
            None
        }
        ParamType::StringList => {
            let a = v.as_array().ok_or_else(wrong)?;
            if a.iter().any(|x| !x.is_string()) {
                return Err(wrong());
            }
            None
        }
        ParamType::Any => None,
    };
    if let Some(x) = number {
        if !x.is_finite() {
            return Err(ParamError::new(p.name, OutOfRange, "must be finite"));
        }
        if let Some(min) = p.minimum {
            let bad = if p.exclusive_minimum {
                x <= min
            } else {
                x < min
            };
            if bad {
                let op = if p.exclusive_minimum { ">" } else { ">=" };
                return Err(ParamError::new(
                    p.name,
                    OutOfRange,
                    format!("must be {op} {min}"),
                ));
            }
        }
        if let Some(max) = p.maximum {
            let bad = if p.exclusive_maximum {
                x >= max
            } else {
                x > max
            };
            if bad {
                let op = if p.exclusive_maximum { "<" } else { "<=" };
                return Err(ParamError::new(
                    p.name,
                    OutOfRange,
                    format!("must be {op} {max}"),
                ));
            }
        }
    }
    Ok(v.clone())
}

/// Validates `parameters` (a JSON object, or `null` for none) against `info`.
pub fn validate(info: &AlgorithmInfo, parameters: &Value) -> Result<ValidatedParams, ParamError> {
    use ParamErrorReason::*;
    let given = match parameters {
        Value::Null => Map::new(),
        Value::Object(m) => m.clone(),
        _ => return Err(ParamError::new("", NotAnObject, "must be a JSON object")),
    };
    let mut out = Map::new();
    let mut used: Vec<&str> = Vec::new();
    for p in &info.parameters {
        let mut names = std::iter::once(p.name)
            .chain(p.aliases.iter().copied())
            .filter(|n| given.contains_key(*n));
        let first = names.next();
        if let Some(second) = names.next() {
            return Err(ParamError::new(
                second,
                Duplicate,
                format!("given together with `{}`", first.unwrap_or(p.name)),
            ));
        }
        match first {
            Some(name) => {
                used.push(name);
                out.insert(p.name.to_string(), check_one(p, &given[name])?);
            }
            None if p.required => return Err(ParamError::new(p.name, Missing, "is required")),
            None => {
                out.insert(p.name.to_string(), p.default.clone());
            }
        }
    }
    if let Some(unknown) = given.keys().find(|k| !used.contains(&k.as_str())) {
        let known: Vec<&str> = info.parameters.iter().map(|p| p.name).collect();
        let hint = if known.is_empty() {
            "this algorithm takes no parameters".to_string()
        } else {
            format!("accepted: {}", known.join(", "))
        };
        return Err(ParamError::new(
            unknown,
            Unknown,
            format!("unknown parameter; {hint}"),
        ));
    }
    Ok(ValidatedParams(out))
}
