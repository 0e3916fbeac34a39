//! ISO 8601 durations as the API accepts them (API.md §1.8): weeks, days, hours, minutes and
//! seconds (milliseconds at most), no years or months, greater than zero, at most `P3650D`.
//!
//! Owns parsing, validation and the normalised rendering the server uses when it generates a
//! duration. A rejected value carries the API's `reason` token so every caller reports it the same way.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Upper bound on any duration: 3650 days, in milliseconds.
pub const MAX_DURATION_MS: u64 = 3650 * 86_400_000;

/// A validated duration: the text as submitted (upper-cased) and its length in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IsoDuration {
    text: String,
    millis: u64,
}

/// Why a duration was rejected; `reason()` gives the API's token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not of the accepted grammar.
    #[error("'{0}' is not a valid ISO 8601 duration (examples: PT30M, P1DT12H, P2W)")]
    Invalid(String),
    /// Uses years or months, which depend on the calendar.
    #[error("'{0}' uses years or months, which are not supported; use days (e.g. P365D)")]
    UnsupportedUnit(String),
    /// Zero, or longer than ten years.
    #[error("'{0}' must be greater than zero and at most P3650D")]
    OutOfRange(String),
}

impl DurationError {
    /// The `details.errors[].reason` token for this problem.
    pub fn reason(&self) -> &'static str {
        match self {
            DurationError::Invalid(_) => "invalid_duration",
            DurationError::UnsupportedUnit(_) => "unsupported_unit",
            DurationError::OutOfRange(_) => "out_of_range",
        }
    }
}

impl IsoDuration {
    /// Parses and validates `input` per §1.8.
    pub fn parse(input: &str) -> Result<Self, DurationError> {
        let upper = input.to_ascii_uppercase();
        let invalid = || DurationError::Invalid(input.to_string());
        let rest = upper.strip_prefix('P').ok_or_else(invalid)?;
        if rest.is_empty() {
            return Err(invalid());
        }
        let (date_part, time_part) = match rest.split_once('T') {
            Some((d, t)) => {
                if t.is_empty() {
                    return Err(invalid());
                }
                (d, Some(t))
            }
            None => (rest, None),
        };
        let mut millis: u64 = 0;
        // Date part: weeks then days; years/months are a distinct error.
        let mut last_rank = 0u8;
        for (number, unit) in components(date_part).ok_or_else(invalid)? {
            let (rank, unit_ms) = match unit {
                'W' => (1, 7 * 86_400_000u64),
                'D' => (2, 86_400_000u64),
                'Y' | 'M' => return Err(DurationError::UnsupportedUnit(input.to_string())),
                _ => return Err(invalid()),
            };
            if rank <= last_rank || number.contains('.') {
                return Err(invalid());
            }
            last_rank = rank;
            millis =
                millis.saturating_add(integer(number).ok_or_else(invalid)?.saturating_mul(unit_ms));
        }
        if let Some(time_part) = time_part {
            let mut last_rank = 0u8;
            for (number, unit) in components(time_part).ok_or_else(invalid)? {
                let rank = match unit {
                    'H' => 1,
                    'M' => 2,
                    'S' => 3,
                    _ => return Err(invalid()),
                };
                if rank <= last_rank {
                    return Err(invalid());
                }
                last_rank = rank;
                let add = match unit {
                    'H' => integer(number)
                        .ok_or_else(invalid)?
                        .saturating_mul(3_600_000),
                    'M' => integer(number).ok_or_else(invalid)?.saturating_mul(60_000),
                    _ => seconds_to_millis(number).ok_or_else(invalid)?,
                };
                millis = millis.saturating_add(add);
            }
        }
        if millis == 0 || millis > MAX_DURATION_MS {
            return Err(DurationError::OutOfRange(input.to_string()));
        }
        Ok(Self {
            text: upper,
            millis,
        })
    }

    /// Builds the normalised form (largest units first, zero components omitted), e.g. `P2DT6H`.
    pub fn from_millis(millis: u64) -> Self {
        let days = millis / 86_400_000;
        let mut rem = millis % 86_400_000;
        let hours = rem / 3_600_000;
        rem %= 3_600_000;
        let minutes = rem / 60_000;
        rem %= 60_000;
        let secs = rem / 1000;
        let ms = rem % 1000;
        let mut text = String::from("P");
        if days > 0 {
            text.push_str(&format!("{days}D"));
        }
        if hours > 0 || minutes > 0 || secs > 0 || ms > 0 {
            text.push('T');
            if hours > 0 {
                text.push_str(&format!("{hours}H"));
            }
            if minutes > 0 {
                text.push_str(&format!("{minutes}M"));
            }
            if ms > 0 {
                let frac = format!("{ms:03}");
                text.push_str(&format!("{secs}.{}S", frac.trim_end_matches('0')));
            } else if secs > 0 {
                text.push_str(&format!("{secs}S"));
            }
        }
        if text == "P" {
            text.push_str("T0S");
        }
        Self { text, millis }
    }

    /// Length in milliseconds.
    pub fn millis(&self) -> u64 {
        self.millis
    }

    /// Length as a `chrono::Duration`, for date arithmetic.
    pub fn to_chrono(&self) -> chrono::Duration {
        chrono::Duration::milliseconds(self.millis as i64)
    }

    /// The text as stored and echoed (upper-cased, otherwise as submitted).
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// Splits `"1W2D"` into `[("1",'W'), ("2",'D')]`; `None` on anything malformed.
fn components(part: &str) -> Option<Vec<(&str, char)>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in part.char_indices() {
        if c.is_ascii_digit() || c == '.' {
            continue;
        }
        if !c.is_ascii_alphabetic() || i == start {
            return None;
        }
        out.push((&part[start..i], c));
        start = i + c.len_utf8();
    }
    if start != part.len() {
        return None;
    }
    Some(out)
}

/// `number = 1*6DIGIT`.
fn integer(number: &str) -> Option<u64> {
    if number.is_empty() || number.len() > 6 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    number.parse().ok()
}

/// `number [ "." 1*3DIGIT ]` seconds, in milliseconds.
fn seconds_to_millis(number: &str) -> Option<u64> {
    match number.split_once('.') {
        None => integer(number).map(|s| s * 1000),
        Some((whole, frac)) => {
            if frac.is_empty() || frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let frac_ms: u64 = format!("{frac:0<3}").parse().ok()?;
            Some(integer(whole)? * 1000 + frac_ms)
        }
    }
}

impl fmt::Display for IsoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for IsoDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for IsoDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        IsoDuration::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// On the wire a duration is a string; the schema says so (RFC 3339's `duration` format is the
/// ISO 8601 subset the API accepts, which further bounds it, see the module header).
impl schemars::JsonSchema for IsoDuration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "IsoDuration".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "format": "duration"})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_examples() {
        for (text, ms) in [
            ("PT30M", 1_800_000),
            ("PT24H", 86_400_000),
            ("P1DT12H", 129_600_000),
            ("PT1H30M", 5_400_000),
            ("P2W", 1_209_600_000),
            ("pt90s", 90_000),
            ("PT0.5S", 500),
            ("P1W2DT3H4M5S", (9 * 86_400 + 3 * 3600 + 4 * 60 + 5) * 1000),
            ("P3650D", MAX_DURATION_MS),
        ] {
            let d = IsoDuration::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(d.millis(), ms, "{text}");
        }
        assert_eq!(IsoDuration::parse("pt90s").unwrap().as_str(), "PT90S");
    }

    #[test]
    fn rejects_with_the_documented_reasons() {
        for (text, reason) in [
            ("P", "invalid_duration"),
            ("PT", "invalid_duration"),
            ("P1DT", "invalid_duration"),
            ("PT0S", "out_of_range"),
            ("P3651D", "out_of_range"),
            ("P1Y", "unsupported_unit"),
            ("P1M", "unsupported_unit"),
            ("P1.5D", "invalid_duration"),
            ("-PT1H", "invalid_duration"),
            ("1D", "invalid_duration"),
            ("", "invalid_duration"),
            ("1 day", "invalid_duration"),
            ("86400", "invalid_duration"),
            ("PT1M1H", "invalid_duration"),
            ("P1D1D", "invalid_duration"),
            ("PT1.2345S", "invalid_duration"),
            ("P1234567D", "invalid_duration"),
            ("P 1D", "invalid_duration"),
        ] {
            let err = IsoDuration::parse(text).expect_err(text);
            assert_eq!(err.reason(), reason, "{text}");
        }
    }

    #[test]
    fn normalised_form_round_trips() {
        assert_eq!(
            IsoDuration::from_millis(2 * 86_400_000 + 6 * 3_600_000).as_str(),
            "P2DT6H"
        );
        assert_eq!(IsoDuration::from_millis(45 * 60_000).as_str(), "PT45M");
        assert_eq!(IsoDuration::from_millis(1500).as_str(), "PT1.5S");
        for ms in [1500u64, 86_400_000, 90_061_001] {
            let d = IsoDuration::from_millis(ms);
            assert_eq!(IsoDuration::parse(d.as_str()).unwrap().millis(), ms);
        }
    }
}
