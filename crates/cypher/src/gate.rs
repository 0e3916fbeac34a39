//! The read-only gate: walks the whole tree (subqueries included) and refuses anything that
//! could change data, schema, settings or transactions.
//!
//! Owns: the list of refused clauses and commands, the procedure allowlist, and the rule "one
//! statement per request". Does not own: the engine's read-only transaction, which stays as the
//! second line of defence.

use crate::ast::*;
use crate::error::ReadOnlyViolation;
use crate::visit::walk_clauses;

/// Procedures callable from user queries: they only read metadata (compared case-insensitively).
pub const READ_ONLY_PROCEDURES: &[&str] = &[
    "db.labels",
    "db.relationshiptypes",
    "db.propertykeys",
    "db.schema.visualization",
    "show_tables",
    "table_info",
    "show_connection",
    "db_version",
    "show_functions",
    "current_setting",
];

fn refuse(clause: impl Into<String>, reason: &str, span: Span) -> ReadOnlyViolation {
    ReadOnlyViolation {
        clause: clause.into(),
        reason: reason.to_string(),
        span,
    }
}

/// Checks that the text is exactly one statement and reads only.
pub fn check_read_only(q: &Query) -> Result<(), ReadOnlyViolation> {
    if let Some(second) = q.statements.get(1) {
        return Err(refuse(
            "multiple statements",
            "send one statement per request",
            second.span,
        ));
    }
    let Some(statement) = q.statements.first() else {
        return Err(refuse("empty query", "send one statement", Span::default()));
    };
    match &statement.body {
        StatementBody::Command(c) => {
            let reason = match c.kind {
                CommandKind::Schema => "schema commands are not allowed on an analytical instance",
                CommandKind::Admin => "administrative commands are not allowed in queries",
                CommandKind::Transaction => {
                    "transaction control is not allowed; every query runs in its own read-only transaction"
                }
            };
            Err(refuse(c.name.clone(), reason, c.span))
        }
        StatementBody::Query(query) => {
            let mut result = Ok(());
            walk_clauses(query, &mut |c| {
                if result.is_ok() {
                    result = check_clause(c);
                }
            });
            result
        }
    }
}

fn check_clause(c: &Clause) -> Result<(), ReadOnlyViolation> {
    const WRITES: &str = "queries are read-only";
    let name = match &c.kind {
        ClauseKind::Create { .. } => "CREATE",
        ClauseKind::Merge { .. } => "MERGE",
        ClauseKind::Set { .. } => "SET",
        ClauseKind::Remove { .. } => "REMOVE",
        ClauseKind::Delete { detach: true, .. } => "DETACH DELETE",
        ClauseKind::Delete { detach: false, .. } => "DELETE",
        ClauseKind::Foreach { .. } => "FOREACH",
        ClauseKind::LoadCsv { .. } => {
            return Err(refuse(
                "LOAD CSV",
                "reading files from the instance is not allowed",
                c.span,
            ));
        }
        ClauseKind::CallSubquery {
            in_transactions: true,
            ..
        } => {
            return Err(refuse(
                "CALL { … } IN TRANSACTIONS",
                "batched transactions are for writes",
                c.span,
            ));
        }
        ClauseKind::CallProcedure(call) => {
            let name = call.dotted_name();
            if !READ_ONLY_PROCEDURES
                .iter()
                .any(|p| p.eq_ignore_ascii_case(&name))
            {
                return Err(refuse(
                    format!("CALL {name}"),
                    "the procedure is not on the read-only allowlist",
                    c.span,
                ));
            }
            return Ok(());
        }
        _ => return Ok(()),
    };
    Err(refuse(name, WRITES, c.span))
}
