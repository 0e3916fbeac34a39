//! Timestamps on the wire (API.md §1.7): always UTC, `Z`, exactly three fractional digits.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

/// Renders a timestamp the one way the API emits them, e.g. `2025-01-15T10:30:00.000Z`.
pub fn format_ts(ts: &DateTime<Utc>) -> String {
    ts.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses an RFC 3339 input timestamp (`Z` or numeric offset, 0–9 fractional digits) into UTC.
pub fn parse_ts(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Parses a `created_after`/`created_before` filter: RFC 3339, or `YYYY-MM-DD` meaning 00:00:00Z.
pub fn parse_filter_ts(text: &str) -> Option<DateTime<Utc>> {
    parse_ts(text).or_else(|| {
        NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|dt| dt.and_utc())
    })
}

/// Serde adapters that write timestamps in the API's format.
pub mod serde_ts {
    use super::*;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialises a required timestamp.
    pub fn serialize<S: Serializer>(ts: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_ts(ts))
    }

    /// Deserialises a required timestamp.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        parse_ts(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("invalid timestamp '{text}'")))
    }

    /// The same for `Option<DateTime<Utc>>` (null when absent).
    pub mod option {
        use super::*;

        /// Serialises an optional timestamp (`null` when absent).
        pub fn serialize<S: Serializer>(
            ts: &Option<DateTime<Utc>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match ts {
                Some(t) => s.serialize_str(&format_ts(t)),
                None => s.serialize_none(),
            }
        }

        /// Deserialises an optional timestamp.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            let text = Option::<String>::deserialize(d)?;
            match text {
                None => Ok(None),
                Some(t) => parse_ts(&t)
                    .map(Some)
                    .ok_or_else(|| serde::de::Error::custom(format!("invalid timestamp '{t}'"))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_millis_and_z() {
        let t = parse_ts("2025-01-15T11:30:00.123456+01:00").unwrap();
        assert_eq!(format_ts(&t), "2025-01-15T10:30:00.123Z");
    }

    #[test]
    fn date_only_is_a_filter_form_only() {
        assert!(parse_ts("2025-01-15").is_none());
        assert_eq!(
            format_ts(&parse_filter_ts("2025-01-15").unwrap()),
            "2025-01-15T00:00:00.000Z"
        );
    }
}
