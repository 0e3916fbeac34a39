//! Small tree builders and pattern facts shared by the dialect rewrites.

use std::collections::BTreeSet;

use crate::ast::*;

/// `name(args…)`.
pub(super) fn call(name: &str, args: Vec<Expr>, span: Span) -> Expr {
    Expr::new(
        ExprKind::Function {
            name: vec![Ident {
                name: name.into(),
                span,
            }],
            distinct: false,
            args,
        },
        span,
    )
}

/// `a op b`.
pub(super) fn binary(op: BinaryOp, a: Expr, b: Expr) -> Expr {
    let span = a.span;
    Expr::new(ExprKind::Binary(op, Box::new(a), Box::new(b)), span)
}

/// A reference to `v`.
pub(super) fn variable(v: &Ident) -> Expr {
    Expr::new(ExprKind::Variable(v.clone()), v.span)
}

/// `first AND extra[0] AND extra[1] …` (`None` when there is nothing).
pub(super) fn and_all(first: Option<Expr>, extra: Vec<Expr>) -> Option<Expr> {
    let mut acc = first;
    for e in extra {
        acc = Some(match acc {
            None => e,
            Some(prev) => binary(BinaryOp::And, prev, e),
        });
    }
    acc
}

/// Whether two relationship patterns of one `MATCH` could bind the same relationship, so that
/// openCypher's rule — a `MATCH` binds each relationship at most once — needs a check between
/// them. Not when both name one variable (one relationship by construction) or when their type
/// sets are both known and disjoint.
pub(super) fn may_bind_same_relationship(a: &RelPattern, b: &RelPattern) -> bool {
    if let (Some(x), Some(y)) = (&a.variable, &b.variable)
        && x.name == y.name
    {
        return false;
    }
    match (type_names(a.types.as_ref()), type_names(b.types.as_ref())) {
        (Some(x), Some(y)) => !x.is_disjoint(&y),
        _ => true,
    }
}

/// The relationship types `t` allows, when it is a name or a disjunction of names.
fn type_names(t: Option<&LabelExpr>) -> Option<BTreeSet<&str>> {
    match t? {
        LabelExpr::Name(n) => Some(BTreeSet::from([n.name.as_str()])),
        LabelExpr::Or(items) => items.iter().try_fold(BTreeSet::new(), |mut all, item| {
            all.extend(type_names(Some(item))?);
            Some(all)
        }),
        _ => None,
    }
}
