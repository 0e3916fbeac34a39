//! From the analyst's Cypher to the statement an engine runs.
//!
//! Owns: the order of the steps every user statement goes through before any engine sees it —
//! parse (`graph-olap-cypher`), one statement only, no `PROFILE`, the read-only gate on the
//! syntax tree, translation to the engine's dialect — and their mapping onto [`QueryError`]
//! (`QUERY_SYNTAX_ERROR`, `QUERY_UNSUPPORTED`, `READ_ONLY_VIOLATION` on the wire). Does not own:
//! the grammar, the gate's rules or the rewrites (the `graph-olap-cypher` crate), nor running the
//! statement.

/// The engine dialects a statement can be translated to (re-exported for callers that check
/// user text before it reaches an engine).
pub use graph_olap_cypher::Dialect;
use graph_olap_cypher::ast::{ClauseKind, StatementBody, StatementPrefix};
use graph_olap_cypher::{ParseError, Schema};

use crate::value::GraphValue;

use crate::model::{QueryError, QueryErrorKind};

/// A user statement ready for an engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineStatement {
    /// The text in the engine's dialect (with `EXPLAIN ` in front for an explain request).
    pub text: String,
    /// The result column names as the analyst wrote them, when the statement has a final
    /// `RETURN` without `*` (the engine's own names may differ after translation).
    pub columns: Option<Vec<String>>,
    /// `EXPLAIN <query>`: the plan is asked for, nothing runs.
    pub explain: bool,
    /// A `shortestPath` / `allShortestPaths` without an upper bound: the engine's own bound on
    /// path length (30) must be lifted for the statement to mean what it means in Neo4j.
    pub unbounded_shortest_path: bool,
}

/// Parses, checks and translates one user statement for `dialect`, without a schema.
pub fn prepare(source: &str, dialect: Dialect) -> Result<EngineStatement, QueryError> {
    prepare_with_schema(source, dialect, &Schema::default())
}

/// Parses, checks and translates one user statement for `dialect` against the graph's
/// `schema` (a property none of a variable's labels has reads as `null`, as in Neo4j).
pub fn prepare_with_schema(
    source: &str,
    dialect: Dialect,
    schema: &Schema,
) -> Result<EngineStatement, QueryError> {
    let query = graph_olap_cypher::parse(source).map_err(|e| syntax_error(source, &e))?;
    let statement = match query.statements.as_slice() {
        [] => {
            return Err(QueryError {
                message: "The query is empty".into(),
                kind: QueryErrorKind::Syntax {
                    line: Some(1),
                    column: Some(1),
                    snippet: None,
                },
            });
        }
        [one] => one,
        _ => {
            return Err(unsupported(
                "multiple_statements",
                "Only one statement per request is supported",
            ));
        }
    };
    if statement.prefix == Some(StatementPrefix::Profile) {
        return Err(unsupported(
            "profile",
            "PROFILE is not supported; use EXPLAIN to see the plan",
        ));
    }
    graph_olap_cypher::check_read_only(&query).map_err(|v| QueryError {
        message: v.to_string(),
        kind: QueryErrorKind::ReadOnlyViolation {
            clause: v.clause,
            line: v.span.line as usize,
            column: v.span.column as usize,
        },
    })?;
    if let StatementBody::Query(q) = &statement.body {
        graph_olap_cypher::scope::check_variable_kinds(q).map_err(|c| QueryError {
            message: format!(
                "{} (line {}, column {})",
                c.message, c.span.line, c.span.column
            ),
            kind: QueryErrorKind::Syntax {
                line: Some(c.span.line as usize),
                column: Some(c.span.column as usize),
                snippet: None,
            },
        })?;
    }
    let text = graph_olap_cypher::translate_with_schema(&query, dialect, schema)
        .map_err(|u| unsupported(&u.construct, &u.to_string()))?;
    let explain = statement.prefix == Some(StatementPrefix::Explain);
    let columns = if explain {
        None
    } else {
        graph_olap_cypher::return_columns(&query, source)
    };
    if let Some(names) = &columns {
        refuse_duplicate_columns(statement, names, source)?;
    }
    let unbounded_shortest_path = has_unbounded_shortest_path(&query);
    Ok(EngineStatement {
        text,
        columns,
        explain,
        unbounded_shortest_path,
    })
}

/// Refuses a final `RETURN` with two columns of one name (`RETURN c, c`), as Neo4j does
/// ("Multiple result columns with the same name are not supported"). FalkorDB refuses such a
/// statement itself and Ryugraph answers it, so without this check the engines would differ;
/// the error points at the second column of the name.
fn refuse_duplicate_columns(
    statement: &graph_olap_cypher::ast::Statement,
    names: &[String],
    source: &str,
) -> Result<(), QueryError> {
    let Some(duplicate) = (1..names.len()).find(|&i| names[..i].contains(&names[i])) else {
        return Ok(());
    };
    let span = match &statement.body {
        StatementBody::Query(q) => match q.first.clauses.last().map(|c| &c.kind) {
            Some(ClauseKind::Return(projection)) => projection.items.get(duplicate).map(|item| {
                item.alias
                    .as_ref()
                    .map_or(item.expr.span, |alias| alias.span)
            }),
            _ => None,
        },
        StatementBody::Command(_) => None,
    };
    let line = span.map(|s| s.line as usize);
    Err(QueryError {
        message: format!(
            "Multiple result columns with the same name are not supported: `{}` is returned twice; give the columns distinct names with AS",
            names[duplicate]
        ),
        kind: QueryErrorKind::Syntax {
            line,
            column: span.map(|s| s.column as usize),
            snippet: line
                .and_then(|l| source.lines().nth(l.saturating_sub(1)))
                .map(str::to_string),
        },
    })
}

/// The statement with every `IN $p` whose parameter value is `null` written as `IN null`
/// (found with the lexer, so text inside strings is never touched). The engine aborts its whole
/// process on membership in an untyped null list (ryugraph 25.9.2); as a literal, the
/// translator turns `x IN null` into `null`, which is what Cypher says it is. Not covered: a
/// null list reaching `IN` through a variable (`WITH $p AS l … x IN l`).
pub fn inline_null_membership_parameters<'a>(
    source: &'a str,
    parameters: &serde_json::Map<String, serde_json::Value>,
) -> std::borrow::Cow<'a, str> {
    use graph_olap_cypher::lexer::{Tok, tokenize};
    if !parameters.values().any(serde_json::Value::is_null) {
        return source.into();
    }
    let Ok(tokens) = tokenize(source) else {
        return source.into();
    };
    let mut out = String::with_capacity(source.len());
    let mut copied = 0;
    for pair in tokens.windows(2) {
        let (Tok::Ident(keyword), Tok::Param(name)) = (&pair[0].tok, &pair[1].tok) else {
            continue;
        };
        if keyword.eq_ignore_ascii_case("IN")
            && parameters.get(name).is_some_and(serde_json::Value::is_null)
        {
            out.push_str(&source[copied..pair[1].span.start]);
            out.push_str("null");
            copied = pair[1].span.end;
        }
    }
    if copied == 0 {
        return source.into();
    }
    out.push_str(&source[copied..]);
    out.into()
}

fn has_unbounded_shortest_path(query: &graph_olap_cypher::Query) -> bool {
    let mut found = false;
    for statement in &query.statements {
        let StatementBody::Query(q) = &statement.body else {
            continue;
        };
        graph_olap_cypher::visit::walk_clauses(q, &mut |c| {
            if let ClauseKind::Match { patterns, .. } = &c.kind {
                found |= patterns.iter().any(|p| {
                    p.shortest.is_some()
                        && p.element
                            .chain
                            .iter()
                            .any(|(r, _)| r.length.as_ref().is_some_and(|l| l.max.is_none()))
                });
            }
        });
    }
    found
}

/// The columns of an `EXPLAIN` answer (API §10.6).
pub const EXPLAIN_COLUMNS: [&str; 3] = ["operator", "details", "estimated_rows"];

/// Turns the engine's `EXPLAIN` text (a tree of boxed operators) into `EXPLAIN` rows: first the
/// statement as the engine runs it (`operator` = `QUERY`, `details` = the translated text), then
/// one row per operator from the root down, left to right, with the operator's details joined
/// by `; `. The engine prints no row estimates, so `estimated_rows` is null.
pub fn explain_rows(translated: &str, plan: &str) -> Vec<Vec<GraphValue>> {
    let mut rows = vec![vec![
        GraphValue::String("QUERY".into()),
        GraphValue::String(translated.to_string()),
        GraphValue::Null,
    ]];
    for lines in plan_boxes(plan) {
        let mut parts = lines
            .into_iter()
            .filter(|l| !l.is_empty() && !l.chars().all(|c| c == '-'));
        let Some(head) = parts.next() else { continue };
        let operator = head.split('[').next().unwrap_or(&head).trim().to_string();
        let mut details: Vec<String> = Vec::new();
        for line in parts {
            if line.starts_with("NumOutputTuples") || line.starts_with("ExecutionTime") {
                continue;
            }
            // Continuation lines (a wrapped list of expressions) join the previous detail.
            match details.last_mut() {
                Some(last) if !line.contains(": ") => {
                    last.push_str(", ");
                    last.push_str(&line);
                }
                _ => details.push(line),
            }
        }
        rows.push(vec![
            GraphValue::String(operator),
            GraphValue::String(details.join("; ")),
            GraphValue::Null,
        ]);
    }
    rows
}

/// The text lines inside each innermost box of a box-drawn plan, boxes ordered top to bottom,
/// left to right (the root first).
fn plan_boxes(plan: &str) -> Vec<Vec<String>> {
    let grid: Vec<Vec<char>> = plan.lines().map(|l| l.chars().collect()).collect();
    let at = |r: usize, c: usize| grid.get(r).and_then(|l| l.get(c)).copied();
    let mut boxes = Vec::new();
    for (r, line) in grid.iter().enumerate() {
        for (c, &ch) in line.iter().enumerate() {
            if ch != '┌' {
                continue;
            }
            let Some(right) = (c + 1..line.len()).find(|&x| line[x] == '┐') else {
                continue;
            };
            let mut content = Vec::new();
            let mut nested = false;
            let mut row = r + 1;
            while let Some(left) = at(row, c) {
                if left == '└' {
                    break;
                }
                let text: String = (c + 1..right).filter_map(|x| at(row, x)).collect();
                nested |= text.contains('┌') || text.contains('│');
                content.push(text.trim().to_string());
                row += 1;
            }
            if !nested && !content.iter().any(|l| l == "Physical Plan") {
                boxes.push(content);
            }
        }
    }
    boxes
}

fn unsupported(feature: &str, message: &str) -> QueryError {
    QueryError {
        message: message.to_string(),
        kind: QueryErrorKind::Unsupported {
            feature: feature.to_string(),
        },
    }
}

fn syntax_error(source: &str, e: &ParseError) -> QueryError {
    let line = e.span.line as usize;
    QueryError {
        message: e.to_string(),
        kind: QueryErrorKind::Syntax {
            line: Some(line),
            column: Some(e.span.column as usize),
            snippet: source
                .lines()
                .nth(line.saturating_sub(1))
                .map(str::to_string),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(source: &str) -> QueryErrorKind {
        prepare(source, Dialect::Kuzu).unwrap_err().kind
    }

    #[test]
    fn every_refusal_has_its_typed_error() {
        assert!(matches!(
            kind("MATCH (n RETURN n"),
            QueryErrorKind::Syntax { line: Some(1), .. }
        ));
        assert!(matches!(kind("  "), QueryErrorKind::Syntax { .. }));
        assert_eq!(
            kind("RETURN 1; RETURN 2"),
            QueryErrorKind::Unsupported {
                feature: "multiple_statements".into()
            }
        );
        assert_eq!(
            kind("PROFILE MATCH (n) RETURN n"),
            QueryErrorKind::Unsupported {
                feature: "profile".into()
            }
        );
        assert_eq!(
            kind("MATCH (n)\n  SET n.x = 1"),
            QueryErrorKind::ReadOnlyViolation {
                clause: "SET".into(),
                line: 2,
                column: 3
            }
        );
        match kind("MATCH (n)\nRETURN n +") {
            QueryErrorKind::Syntax { line, snippet, .. } => {
                assert_eq!((line, snippet.as_deref()), (Some(2), Some("RETURN n +")))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn two_result_columns_of_one_name_are_refused_on_every_dialect() {
        for dialect in [Dialect::Kuzu, Dialect::FalkorDb] {
            for (source, column) in [
                ("MATCH (c) RETURN c, c", 21),
                ("MATCH (c)\nRETURN c.name, c.id AS `c.name`", 24),
                ("MATCH (a), (b) RETURN a AS x, b AS x", 36),
            ] {
                let e = prepare(source, dialect).unwrap_err();
                assert!(e.message.contains("same name"), "{}", e.message);
                let QueryErrorKind::Syntax {
                    line: Some(line),
                    column: Some(c),
                    snippet: Some(snippet),
                } = e.kind
                else {
                    panic!("{source}: {:?}", e.kind)
                };
                assert_eq!(c, column, "{source}");
                assert_eq!(Some(snippet.as_str()), source.lines().nth(line - 1));
            }
            for distinct in [
                "MATCH (c) RETURN c AS source, c AS target",
                "MATCH (c) RETURN c.name, c.id",
                "MATCH (c) WITH c, c AS d RETURN *",
            ] {
                assert!(prepare(distinct, dialect).is_ok(), "{distinct}");
            }
        }
    }

    #[test]
    fn translated_text_keeps_the_analysts_column_names() {
        let s = prepare(
            "MATCH (a)-[r]->(b) RETURN type(r), count(*) AS n",
            Dialect::Kuzu,
        )
        .unwrap();
        assert!(s.text.contains("label(r)"), "{}", s.text);
        assert_eq!(
            s.columns,
            Some(vec!["type(r)".to_string(), "n".to_string()])
        );
        assert!(!s.explain);
        let e = prepare("EXPLAIN MATCH (n) RETURN n", Dialect::Kuzu).unwrap();
        assert!(
            e.explain && e.text.starts_with("EXPLAIN ") && e.columns.is_none(),
            "{e:?}"
        );
    }
}
