//! Variable kinds: a variable bound as a node cannot be used as a relationship or a path, and
//! the other way round (openCypher's `VariableTypeConflict`, a compile-time error). Checked
//! before any engine, so analysts get a syntax error with the position instead of the engine's
//! binder message.
//!
//! Owns: tracking which variables are certainly nodes, relationships or paths through `MATCH`,
//! `WITH` and `UNWIND`. Does not own: anything whose kind is not certain (values from `UNWIND`,
//! computed aliases, procedure results are left unchecked), or any other scope rule.

use std::collections::HashMap;

use crate::ast::*;

/// What a variable certainly is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Node,
    Relationship,
    Path,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Node => "a node",
            Kind::Relationship => "a relationship",
            Kind::Path => "a path",
        }
    }
}

/// A variable used as two kinds of thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableTypeConflict {
    /// The variable.
    pub variable: String,
    /// Where the conflicting use is.
    pub span: Span,
    /// What it was bound as, and what it is used as.
    pub message: String,
}

/// Checks every single query of `query` (and of its `CALL { … }` subqueries, each with the
/// outer scope it imports).
pub fn check_variable_kinds(query: &RegularQuery) -> Result<(), VariableTypeConflict> {
    check_regular(query, &HashMap::new())
}

fn check_regular(
    q: &RegularQuery,
    outer: &HashMap<String, Kind>,
) -> Result<(), VariableTypeConflict> {
    let singles = std::iter::once(&q.first).chain(q.unions.iter().map(|u| &u.query));
    for single in singles {
        check_single(single, outer.clone())?;
    }
    Ok(())
}

fn check_single(
    q: &SingleQuery,
    mut scope: HashMap<String, Kind>,
) -> Result<(), VariableTypeConflict> {
    for clause in &q.clauses {
        match &clause.kind {
            ClauseKind::Match { patterns, .. } => {
                for p in patterns {
                    if let Some(v) = &p.variable {
                        bind(&mut scope, v, Kind::Path)?;
                    }
                    node(&mut scope, &p.element.start)?;
                    for (r, n) in &p.element.chain {
                        if let Some(v) = &r.variable {
                            bind(&mut scope, v, Kind::Relationship)?;
                        }
                        node(&mut scope, n)?;
                    }
                }
            }
            ClauseKind::With(p) => {
                let mut next = if p.star {
                    scope.clone()
                } else {
                    HashMap::new()
                };
                for item in &p.items {
                    let name = match (&item.alias, &item.expr.kind) {
                        (Some(a), _) => &a.name,
                        (None, ExprKind::Variable(v)) => &v.name,
                        _ => continue,
                    };
                    next.remove(name);
                    if let ExprKind::Variable(v) = &item.expr.kind
                        && let Some(kind) = scope.get(&v.name)
                    {
                        next.insert(name.clone(), *kind);
                    }
                }
                scope = next;
            }
            ClauseKind::Unwind { alias, .. } => {
                scope.remove(&alias.name);
            }
            ClauseKind::CallSubquery { query, .. } => check_regular(query, &scope)?,
            _ => {}
        }
    }
    Ok(())
}

fn node(scope: &mut HashMap<String, Kind>, n: &NodePattern) -> Result<(), VariableTypeConflict> {
    match &n.variable {
        Some(v) => bind(scope, v, Kind::Node),
        None => Ok(()),
    }
}

fn bind(
    scope: &mut HashMap<String, Kind>,
    v: &Ident,
    kind: Kind,
) -> Result<(), VariableTypeConflict> {
    match scope.get(&v.name) {
        Some(bound) if *bound != kind => Err(VariableTypeConflict {
            variable: v.name.clone(),
            span: v.span,
            message: format!(
                "Variable `{}` is {} here but was bound as {}; use another name",
                v.name,
                kind.name(),
                bound.name()
            ),
        }),
        // A path or relationship variable declared twice is another error class; leave it.
        _ => {
            scope.insert(v.name.clone(), kind);
            Ok(())
        }
    }
}
