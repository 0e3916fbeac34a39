//! The rules every engine applies to a user query in the same way, whatever runs it.
//!
//! Owns: the deadline (measured from submission, so waiting for a connection counts; at least
//! 1 ms), the row limit and `truncated` (one row more than the limit exists), the errors for a
//! timeout, a cancellation, a run-time failure and a stopped engine, and the assembly of the
//! finished [`QueryOutput`] (column types from the values, else the engine's declared type).
//! Does not own: how an engine stops a query at its deadline, or reads its rows.

use std::time::{Duration, Instant};

use crate::model::{
    CancelToken, FailureReason, QueryError, QueryErrorKind, QueryOutput, QueryRequest,
};
use crate::value::{GraphValue, column_type};

/// Milliseconds since `since`, saturating.
pub fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

impl QueryError {
    /// The query was cancelled through its [`CancelToken`].
    pub fn cancelled() -> Self {
        QueryError {
            kind: QueryErrorKind::Cancelled,
            message: "The query was cancelled".into(),
        }
    }

    /// A run-time failure of the given reason.
    pub fn failed(reason: FailureReason, message: impl Into<String>) -> Self {
        QueryError {
            kind: QueryErrorKind::Failed {
                reason,
                parameter: None,
            },
            message: message.into(),
        }
    }

    /// The engine can no longer run queries.
    pub fn stopped() -> Self {
        Self::failed(FailureReason::Other, "The graph engine has stopped")
    }
}

/// The limits of one user query, started when it was submitted.
#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    submitted: Instant,
    timeout_ms: u64,
    max_rows: usize,
}

impl QueryLimits {
    /// The limits of `request`, its clock starting now.
    pub fn start(request: &QueryRequest) -> Self {
        Self {
            submitted: Instant::now(),
            timeout_ms: u64::try_from(request.timeout.as_millis())
                .unwrap_or(u64::MAX)
                .max(1),
            max_rows: request.max_rows,
        }
    }

    /// The timeout in milliseconds (at least 1).
    pub fn timeout_ms(&self) -> u64 {
        self.timeout_ms
    }

    /// The timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// Time since submission.
    pub fn elapsed(&self) -> Duration {
        self.submitted.elapsed()
    }

    /// Milliseconds left before the deadline (0 once it has passed).
    pub fn remaining_ms(&self) -> u64 {
        self.timeout_ms.saturating_sub(elapsed_ms(self.submitted))
    }

    /// Whether the deadline has passed.
    pub fn expired(&self) -> bool {
        self.remaining_ms() == 0
    }

    /// The most rows a result may hold.
    pub fn max_rows(&self) -> usize {
        self.max_rows
    }

    /// The timeout error, with the time spent so far.
    pub fn timed_out(&self) -> QueryError {
        let timeout_ms = self.timeout_ms;
        QueryError {
            kind: QueryErrorKind::Timeout {
                timeout_ms,
                elapsed_ms: elapsed_ms(self.submitted),
            },
            message: format!("The query exceeded its timeout of {timeout_ms} ms and was cancelled"),
        }
    }

    /// Why an engine stopped a query it was told to stop: cancelled if `cancel` says so,
    /// otherwise its deadline.
    pub fn interrupted(&self, cancel: &CancelToken) -> QueryError {
        if cancel.is_cancelled() {
            QueryError::cancelled()
        } else {
            self.timed_out()
        }
    }

    /// Takes at most [`max_rows`](Self::max_rows) items; `truncated` when one more exists (it
    /// is pulled from `rows` but not kept).
    pub fn take_rows<T>(&self, rows: impl IntoIterator<Item = T>) -> (Vec<T>, bool) {
        let mut rows = rows.into_iter();
        let kept: Vec<T> = rows.by_ref().take(self.max_rows).collect();
        let truncated = kept.len() == self.max_rows && rows.next().is_some();
        (kept, truncated)
    }

    /// Whether a result of `total` rows exceeds the limit.
    pub fn truncates(&self, total: usize) -> bool {
        total > self.max_rows
    }

    /// The finished output: each column's type from its values, else the engine's `declared`
    /// type for it (`ANY` where none is declared); the execution time since `started`.
    pub fn output(
        &self,
        started: Instant,
        columns: Vec<String>,
        declared: &[String],
        rows: Vec<Vec<GraphValue>>,
        truncated: bool,
    ) -> QueryOutput {
        let column_types = (0..columns.len())
            .map(|i| {
                column_type(
                    rows.iter().map(|r| &r[i]),
                    declared.get(i).map_or("ANY", String::as_str),
                )
            })
            .collect();
        QueryOutput {
            columns,
            column_types,
            rows,
            truncated,
            execution_time_ms: elapsed_ms(started),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(timeout: Duration, max_rows: usize) -> QueryLimits {
        QueryLimits::start(&QueryRequest {
            query: "RETURN 1".into(),
            parameters: serde_json::Map::new(),
            timeout,
            max_rows,
        })
    }

    #[test]
    fn the_row_limit_truncates_only_when_a_row_is_left_over() {
        let l = limits(Duration::from_secs(1), 3);
        assert_eq!(l.take_rows(1..=3), (vec![1, 2, 3], false));
        assert_eq!(l.take_rows(1..=4), (vec![1, 2, 3], true));
        assert_eq!(l.take_rows(1..=2), (vec![1, 2], false));
        assert_eq!(
            limits(Duration::from_secs(1), 0).take_rows(1..=1),
            (vec![], true)
        );
        assert!(!l.truncates(3) && l.truncates(4));
    }

    #[test]
    fn the_deadline_counts_from_submission_and_is_at_least_a_millisecond() {
        let l = limits(Duration::ZERO, 1);
        assert_eq!(l.timeout_ms(), 1);
        std::thread::sleep(Duration::from_millis(5));
        assert!(l.expired());
        assert_eq!(l.remaining_ms(), 0);
        let QueryErrorKind::Timeout {
            timeout_ms,
            elapsed_ms,
        } = l.timed_out().kind
        else {
            panic!()
        };
        assert_eq!(timeout_ms, 1);
        assert!(elapsed_ms >= 5, "{elapsed_ms}");
        let long = limits(Duration::from_secs(60), 1);
        assert!(!long.expired() && long.remaining_ms() > 59_000);
        let cancel = CancelToken::new();
        assert!(matches!(
            long.interrupted(&cancel).kind,
            QueryErrorKind::Timeout { .. }
        ));
        cancel.cancel();
        assert_eq!(long.interrupted(&cancel).kind, QueryErrorKind::Cancelled);
    }

    #[test]
    fn column_types_come_from_values_then_the_declared_type() {
        let l = limits(Duration::from_secs(1), 10);
        let columns = || vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let declared = ["STRING".to_string(), "INT64".to_string()];
        let empty = l.output(Instant::now(), columns(), &declared, vec![], false);
        assert_eq!(empty.column_types, vec!["STRING", "INT64", "ANY"]);
        let row = vec![
            GraphValue::Null,
            GraphValue::Bool(false),
            GraphValue::Bool(true),
        ];
        let out = l.output(Instant::now(), columns(), &declared, vec![row], true);
        assert_eq!(out.column_types, vec!["NULL", "BOOL", "BOOL"]);
        assert!(out.truncated);
    }
}
