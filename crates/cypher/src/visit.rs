//! Read-only traversal of the tree: every clause (subqueries included) and every expression.
//!
//! Owns: knowing where clauses and expressions nest. Does not own: any policy.

use crate::ast::*;

/// Calls `f` on every clause of `q`, including clauses inside `CALL { … }`, `FOREACH` and
/// `EXISTS` / `COUNT` / `COLLECT` subqueries, outer clauses first.
pub fn walk_clauses(q: &RegularQuery, f: &mut dyn FnMut(&Clause)) {
    let singles = std::iter::once(&q.first).chain(q.unions.iter().map(|u| &u.query));
    for single in singles {
        for clause in &single.clauses {
            walk_clause(clause, f);
        }
    }
}

fn walk_clause(c: &Clause, f: &mut dyn FnMut(&Clause)) {
    f(c);
    match &c.kind {
        ClauseKind::CallSubquery { query, .. } => walk_clauses(query, f),
        ClauseKind::Foreach { clauses, .. } => {
            for inner in clauses {
                walk_clause(inner, f);
            }
        }
        _ => {}
    }
    walk_exprs_of_clause(c, &mut |e| {
        if let ExprKind::Exists(SubqueryBody::Query(q))
        | ExprKind::CountSubquery(SubqueryBody::Query(q))
        | ExprKind::CollectSubquery(SubqueryBody::Query(q)) = &e.kind
        {
            walk_clauses(q, f);
        }
    });
}

/// Calls `f` on every expression written directly in clause `c` (not in nested clauses), each
/// sub-expression included, outer first. Expressions inside subquery *patterns* are included;
/// clauses of subquery *queries* are not (walk them with [`walk_clauses`]).
pub fn walk_exprs_of_clause(c: &Clause, f: &mut dyn FnMut(&Expr)) {
    let mut roots: Vec<&Expr> = Vec::new();
    let mut patterns: Vec<&PatternElement> = Vec::new();
    match &c.kind {
        ClauseKind::Match {
            patterns: ps,
            where_,
            ..
        } => {
            patterns.extend(ps.iter().map(|p| &p.element));
            roots.extend(where_);
        }
        ClauseKind::Unwind { expr, .. } => roots.push(expr),
        ClauseKind::With(p) | ClauseKind::Return(p) => {
            roots.extend(p.items.iter().map(|i| &i.expr));
            roots.extend(p.order_by.iter().map(|s| &s.expr));
            roots.extend(p.skip.iter().chain(&p.limit).chain(&p.where_));
        }
        ClauseKind::CallSubquery { .. } => {}
        ClauseKind::CallProcedure(call) => {
            roots.extend(call.args.iter().flatten());
            roots.extend(&call.where_);
        }
        ClauseKind::Create { patterns: ps } => patterns.extend(ps.iter().map(|p| &p.element)),
        ClauseKind::Merge { pattern, actions } => {
            patterns.push(&pattern.element);
            for (_, items) in actions {
                set_item_exprs(items, &mut roots);
            }
        }
        ClauseKind::Set { items } | ClauseKind::Remove { items } => {
            set_item_exprs(items, &mut roots)
        }
        ClauseKind::Delete { exprs, .. } => roots.extend(exprs),
        ClauseKind::Foreach { list, .. } => roots.push(list),
        ClauseKind::LoadCsv { from, .. } => roots.push(from),
    }
    for el in patterns {
        walk_pattern_exprs(el, f);
    }
    for e in roots {
        walk_expr(e, f);
    }
}

fn set_item_exprs<'a>(items: &'a [SetItem], roots: &mut Vec<&'a Expr>) {
    for item in items {
        match item {
            SetItem::Property { target, value } => {
                roots.push(target);
                roots.extend(value);
            }
            SetItem::Variable { value, .. } => roots.push(value),
            SetItem::Labels { .. } => {}
        }
    }
}

fn walk_pattern_exprs(el: &PatternElement, f: &mut dyn FnMut(&Expr)) {
    let mut visit = |props: &Option<Expr>, where_: &Option<Expr>| {
        for e in props.iter().chain(where_) {
            walk_expr(e, f);
        }
    };
    visit(&el.start.properties, &el.start.where_);
    for (rel, node) in &el.chain {
        visit(&rel.properties, &rel.where_);
        visit(&node.properties, &node.where_);
    }
}

/// Calls `f` on `e` and every sub-expression, outer first.
pub fn walk_expr(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(e);
    let mut go = |x: &Expr| walk_expr(x, f);
    match &e.kind {
        ExprKind::Literal(_)
        | ExprKind::Parameter(_)
        | ExprKind::Variable(_)
        | ExprKind::CountStar => {}
        ExprKind::Property(b, _)
        | ExprKind::HasLabels(b, _)
        | ExprKind::Unary(_, b)
        | ExprKind::IsNull(b, _) => go(b),
        ExprKind::Lambda(_, b) | ExprKind::Cast(b, _) => go(b),
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
            go(a);
            go(b);
        }
        ExprKind::Slice(b, from, to) => {
            go(b);
            for x in from.iter().chain(to) {
                go(x);
            }
        }
        ExprKind::List(items) | ExprKind::Function { args: items, .. } => items.iter().for_each(go),
        ExprKind::Map(entries) => entries.iter().for_each(|(_, v)| go(v)),
        ExprKind::MapProjection(_, items) => {
            for item in items {
                if let MapProjectionItem::Literal(_, v) = item {
                    go(v);
                }
            }
        }
        ExprKind::Case {
            subject,
            whens,
            else_,
        } => {
            for x in subject.iter().chain(else_) {
                go(x);
            }
            for (a, b) in whens {
                go(a);
                go(b);
            }
        }
        ExprKind::ListComprehension {
            list, filter, map, ..
        } => {
            go(list);
            for x in filter.iter().chain(map) {
                go(x);
            }
        }
        ExprKind::PatternComprehension {
            pattern,
            filter,
            map,
            ..
        } => {
            walk_pattern_exprs(pattern, f);
            if let Some(x) = filter {
                walk_expr(x, f);
            }
            walk_expr(map, f);
        }
        ExprKind::Quantified {
            list, predicate, ..
        } => {
            go(list);
            go(predicate);
        }
        ExprKind::Reduce {
            init, list, expr, ..
        } => {
            go(init);
            go(list);
            go(expr);
        }
        ExprKind::Pattern(el) => walk_pattern_exprs(el, f),
        ExprKind::Exists(body)
        | ExprKind::CountSubquery(body)
        | ExprKind::CollectSubquery(body) => {
            if let SubqueryBody::Pattern { patterns, where_ } = body {
                for p in patterns {
                    walk_pattern_exprs(&p.element, f);
                }
                if let Some(w) = where_ {
                    walk_expr(w, f);
                }
            }
        }
    }
}
