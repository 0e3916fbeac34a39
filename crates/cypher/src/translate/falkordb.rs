//! FalkorDB: its Cypher is close to Neo4j's, so queries pass through printed in the openCypher
//! style, with one rewrite measured against a FalkorDB server:
//!
//! **Parallel relationships are read one by one.** FalkorDB traverses a relationship pattern over
//! its adjacency matrix: where two nodes are joined by several relationships of the pattern's
//! type, a relationship the query does not *use* yields one row per pair of nodes, not one per
//! relationship (`MATCH (a)-[:T]->(b) RETURN count(*)` over two parallel `T` gives 1; Neo4j and
//! Ryugraph give 2). So every single-hop relationship of a `MATCH` gets a variable (anonymous
//! ones a fresh `_gf<n>`) and a use that holds for every relationship, `id(r) >= 0`, in the
//! clause's `WHERE`. Not covered: variable-length relationships, patterns inside expressions
//! (`size((a)-->())`, `COUNT { … }`), and anonymous relationships of a query that projects `*`
//! (a fresh variable would become a column): those still read parallel relationships once.

use super::DialectRules;
use crate::ast::*;
use crate::error::Unsupported;
use crate::print::{CYPHER, Style};
use crate::schema::Schema;

/// The FalkorDB rules.
pub struct FalkorDb;

impl DialectRules for FalkorDb {
    fn engine(&self) -> &'static str {
        "FalkorDB"
    }
    fn style(&self) -> Style {
        CYPHER
    }
    fn rewrite(
        &self,
        query: &mut RegularQuery,
        _schema: Option<&Schema>,
    ) -> Result<(), Unsupported> {
        let mut star = false;
        crate::visit::walk_clauses(query, &mut |c| {
            if let ClauseKind::With(p) | ClauseKind::Return(p) = &c.kind {
                star |= p.star;
            }
        });
        let mut fresh = 0;
        each_relationship_per_row(query, !star, &mut fresh);
        Ok(())
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
                    for u in uses {
                        *where_ = Some(match where_.take() {
                            None => u,
                            Some(w) => Expr::new(
                                ExprKind::Binary(BinaryOp::And, Box::new(w), Box::new(u)),
                                span,
                            ),
                        });
                    }
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
