//! The typed errors of each step: syntax, read-only gate, translation.
//!
//! Owns: the error shapes and their messages (each names a position as `line L, column C`).
//! Does not own: deciding what is an error (parser, gate, translators do).

use crate::ast::Span;

/// A syntax error: where, what was found, what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at line {}, column {}{}", span.line, span.column, expected_suffix(expected))]
pub struct ParseError {
    /// What is wrong (`unexpected 'RETURN'`, `unterminated string literal`).
    pub message: String,
    /// Where the offending token is.
    pub span: Span,
    /// The offending token as written (empty at end of input).
    pub found: String,
    /// What would have been accepted there (`'('`, `expression`, `'RETURN'`), sorted.
    pub expected: Vec<String>,
}

fn expected_suffix(expected: &[String]) -> String {
    match expected {
        [] => String::new(),
        [one] => format!("; expected {one}"),
        many => format!("; expected one of {}", many.join(", ")),
    }
}

/// A statement the read-only gate refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{clause} is not allowed: {reason} (line {}, column {})", span.line, span.column)]
pub struct ReadOnlyViolation {
    /// The clause or command as analysts know it (`CREATE`, `DETACH DELETE`, `CALL db.createIndex`,
    /// `BEGIN`, `multiple statements`).
    pub clause: String,
    /// Why (`queries are read-only`, `procedure is not on the read-only allowlist`).
    pub reason: String,
    /// Where it is.
    pub span: Span,
}

/// A construct that has no sound translation to the target engine's dialect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{construct} is not supported by {engine} (line {}, column {}); {suggestion}", span.line, span.column)]
pub struct Unsupported {
    /// The construct (`CALL { … } subquery`, `function replace()`).
    pub construct: String,
    /// The engine (`Kùzu/ryugraph`).
    pub engine: &'static str,
    /// Where it is.
    pub span: Span,
    /// The closest supported form.
    pub suggestion: String,
}

/// Any failure of [`crate::prepare`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CypherError {
    /// The text is not valid Cypher.
    #[error("syntax error: {0}")]
    Syntax(#[from] ParseError),
    /// The text would change data, schema or transactions.
    #[error("read-only violation: {0}")]
    ReadOnlyViolation(#[from] ReadOnlyViolation),
    /// The text uses a construct the engine cannot run faithfully.
    #[error("unsupported: {0}")]
    Unsupported(#[from] Unsupported),
}

impl CypherError {
    /// Where the problem is.
    pub fn span(&self) -> Span {
        match self {
            CypherError::Syntax(e) => e.span,
            CypherError::ReadOnlyViolation(e) => e.span,
            CypherError::Unsupported(e) => e.span,
        }
    }
}
