//! Rewrites that change a query's clause list: `CALL { … }` subqueries and pattern
//! comprehensions become `WITH` / `OPTIONAL MATCH` / `collect()` chains where that is exactly
//! equivalent, and are refused otherwise.
//!
//! Equivalence rests on one condition for the correlated forms: the rows before the rewrite are
//! told apart by their variables. That holds when everything before is non-optional `MATCH`
//! clauses with every node and relationship named (anonymous ones get fresh names here): Kùzu
//! matches relationships without repetition, so two rows never bind the same elements, and
//! grouping by those variables restores exactly one row per original row.

use super::super::tree::call;
use super::{Rewriter, unsupported};
use crate::ast::*;
use crate::error::Unsupported;

/// What to write instead of a `CALL { … }` the translator cannot rewrite.
pub(super) const CALL_SUGGESTION: &str = "write it without CALL: a leading uncorrelated CALL { … RETURN x AS y } as … WITH x AS y; a correlated count/sum/collect as OPTIONAL MATCH … WITH a, count(b) AS n; UNION branches as separate queries";

const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "collect",
    "count_if",
    "stdev",
    "stdevp",
    "percentilecont",
    "percentiledisc",
];

fn is_aggregate(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::CountStar => true,
        ExprKind::Function { name, .. } if name.len() == 1 => {
            AGGREGATES.contains(&name[0].name.to_ascii_lowercase().as_str())
        }
        _ => false,
    }
}

/// Whether an aggregate occurs in `e` (outside subqueries).
fn contains_aggregate(e: &Expr) -> bool {
    let mut found = false;
    walk(e, &mut |x| found |= is_aggregate(x));
    found
}

/// Visits `e` and its sub-expressions (not the insides of subqueries or pattern comprehensions).
fn walk(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(e);
    match &e.kind {
        ExprKind::Property(b, _)
        | ExprKind::HasLabels(b, _)
        | ExprKind::Unary(_, b)
        | ExprKind::IsNull(b, _)
        | ExprKind::Cast(b, _)
        | ExprKind::Lambda(_, b) => walk(b, f),
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
            walk(a, f);
            walk(b, f);
        }
        ExprKind::Slice(b, x, y) => {
            walk(b, f);
            for z in x.iter().chain(y.iter()) {
                walk(z, f);
            }
        }
        ExprKind::List(items) | ExprKind::Function { args: items, .. } => {
            items.iter().for_each(|x| walk(x, f))
        }
        ExprKind::Map(entries) => entries.iter().for_each(|(_, v)| walk(v, f)),
        ExprKind::Case {
            subject,
            whens,
            else_,
        } => {
            for x in subject.iter().chain(else_.iter()) {
                walk(x, f);
            }
            for (a, b) in whens {
                walk(a, f);
                walk(b, f);
            }
        }
        ExprKind::ListComprehension {
            list, filter, map, ..
        } => {
            walk(list, f);
            for x in filter.iter().chain(map.iter()) {
                walk(x, f);
            }
        }
        ExprKind::Quantified {
            list, predicate, ..
        } => {
            walk(list, f);
            walk(predicate, f);
        }
        ExprKind::Reduce {
            init, list, expr, ..
        } => {
            walk(init, f);
            walk(list, f);
            walk(expr, f);
        }
        _ => {}
    }
}

/// Replaces the first pattern comprehension found in `e` (outside subqueries and `size()`),
/// returning it.
fn take_comprehension(e: &mut Expr, replacement: &Ident) -> Option<Expr> {
    if matches!(e.kind, ExprKind::PatternComprehension { .. }) {
        let var = Expr::new(ExprKind::Variable(replacement.clone()), e.span);
        return Some(std::mem::replace(e, var));
    }
    let mut found = None;
    let mut visit = |x: &mut Expr| {
        if found.is_none() {
            found = take_comprehension(x, replacement);
        }
    };
    match &mut e.kind {
        ExprKind::Function { name, .. }
            if name.len() == 1 && name[0].name.eq_ignore_ascii_case("size") => {}
        ExprKind::Property(b, _) | ExprKind::Unary(_, b) | ExprKind::IsNull(b, _) => visit(b),
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
            visit(a);
            visit(b);
        }
        ExprKind::List(items) | ExprKind::Function { args: items, .. } => {
            items.iter_mut().for_each(&mut visit)
        }
        ExprKind::Map(entries) => entries.iter_mut().for_each(|(_, v)| visit(v)),
        ExprKind::Case {
            subject,
            whens,
            else_,
        } => {
            for x in subject.iter_mut().chain(else_.iter_mut()) {
                visit(x);
            }
            for (a, b) in whens {
                visit(a);
                visit(b);
            }
        }
        _ => {}
    }
    found
}

fn var(i: &Ident) -> Expr {
    Expr::new(ExprKind::Variable(i.clone()), i.span)
}

/// A projection that maps each row to at most one row of its own: no aggregate, `DISTINCT`,
/// `ORDER BY`, `SKIP` or `LIMIT`.
fn row_local_projection(p: &Projection) -> bool {
    !p.distinct
        && p.order_by.is_empty()
        && p.skip.is_none()
        && p.limit.is_none()
        && !p.items.iter().any(|it| contains_aggregate(&it.expr))
}

/// A clause whose rows for one incoming row do not depend on the other rows: `MATCH`,
/// `OPTIONAL MATCH`, `UNWIND`, a row-local `WITH`.
fn row_local(c: &Clause) -> bool {
    match &c.kind {
        ClauseKind::Match { .. } | ClauseKind::Unwind { .. } => true,
        ClauseKind::With(p) => row_local_projection(p),
        _ => false,
    }
}

fn push_name(names: &mut Vec<Ident>, v: &Ident) {
    if !names.iter().any(|x| x.name == v.name) {
        names.push(v.clone());
    }
}

/// The variables of the patterns (paths, nodes, relationships).
fn pattern_variables(patterns: &[PathPattern], names: &mut Vec<Ident>) {
    for p in patterns {
        if let Some(v) = &p.variable {
            push_name(names, v);
        }
        let el = &p.element;
        for n in std::iter::once(&el.start).chain(el.chain.iter().map(|(_, n)| n)) {
            if let Some(v) = &n.variable {
                push_name(names, v);
            }
        }
        for (r, _) in &el.chain {
            if let Some(v) = &r.variable {
                push_name(names, v);
            }
        }
    }
}

/// The variables in scope after `clauses`, or `None` when a clause's outputs are not known
/// from the text (a procedure without `YIELD`, a subquery not yet rewritten).
fn scope_after(clauses: &[Clause]) -> Option<Vec<Ident>> {
    let mut names: Vec<Ident> = Vec::new();
    for c in clauses {
        match &c.kind {
            ClauseKind::Match { patterns, .. } => pattern_variables(patterns, &mut names),
            ClauseKind::Unwind { alias, .. } => push_name(&mut names, alias),
            ClauseKind::With(p) | ClauseKind::Return(p) => {
                if !p.star {
                    names.clear();
                }
                for it in &p.items {
                    match (&it.alias, &it.expr.kind) {
                        (Some(a), _) | (None, ExprKind::Variable(a)) => push_name(&mut names, a),
                        _ => {}
                    }
                }
            }
            ClauseKind::CallProcedure(call) if !call.yield_star => {
                for (field, alias) in call.yield_items.as_ref()? {
                    push_name(&mut names, alias.as_ref().unwrap_or(field));
                }
            }
            _ => return None,
        }
    }
    Some(names)
}

impl Rewriter<'_> {
    fn fresh_ident(&mut self, span: Span) -> Ident {
        self.fresh += 1;
        Ident {
            name: format!("_gq{}", self.fresh),
            span,
        }
    }

    /// Names every anonymous node and relationship of `patterns` and returns all their
    /// variables, or `None` when a path variable or a variable-length relationship makes the
    /// rows not distinguishable by them.
    fn name_elements(&mut self, patterns: &mut [PathPattern]) -> Option<Vec<Ident>> {
        let mut vars: Vec<Ident> = Vec::new();
        let add = |v: &Ident, vars: &mut Vec<Ident>| {
            if !vars.iter().any(|x| x.name == v.name) {
                vars.push(v.clone());
            }
        };
        for p in patterns.iter_mut() {
            if p.variable.is_some() || p.shortest.is_some() {
                return None;
            }
            let el = &mut p.element;
            if el.start.variable.is_none() {
                el.start.variable = Some(self.fresh_ident(el.start.span));
            }
            add(el.start.variable.as_ref()?, &mut vars);
            for (r, node) in &mut el.chain {
                if r.length.is_some() {
                    return None;
                }
                if r.variable.is_none() {
                    r.variable = Some(self.fresh_ident(r.span));
                }
                add(r.variable.as_ref()?, &mut vars);
                if node.variable.is_none() {
                    node.variable = Some(self.fresh_ident(node.span));
                }
                add(node.variable.as_ref()?, &mut vars);
            }
        }
        Some(vars)
    }

    /// The variables that tell the rows before clause `upto` apart (see the module docs), naming
    /// anonymous elements; `None` when the clauses are not all non-optional `MATCH`.
    fn distinguishing_variables(&mut self, clauses: &mut [Clause]) -> Option<Vec<Ident>> {
        if clauses.is_empty() {
            return None;
        }
        let mut all: Vec<Ident> = Vec::new();
        for c in clauses.iter_mut() {
            let ClauseKind::Match {
                optional: false,
                patterns,
                ..
            } = &mut c.kind
            else {
                return None;
            };
            for v in self.name_elements(patterns)? {
                if !all.iter().any(|x| x.name == v.name) {
                    all.push(v);
                }
            }
        }
        Some(all)
    }

    /// The relationship (named if anonymous) whose nullness tells an `OPTIONAL MATCH` found
    /// nothing.
    fn marker(&mut self, patterns: &mut [PathPattern]) -> Option<Ident> {
        let (r, _) = patterns
            .iter_mut()
            .flat_map(|p| p.element.chain.iter_mut())
            .next()?;
        if r.variable.is_none() {
            r.variable = Some(self.fresh_ident(r.span));
        }
        r.variable.clone()
    }

    /// `CALL { … }` subqueries: a leading or otherwise uncorrelated one is hoisted to the front as
    /// `… WITH <its RETURN>`; a correlated one (`WITH a` first) that aggregates over one `MATCH`
    /// becomes `OPTIONAL MATCH … WITH <outer variables>, <aggregates>`.
    pub(super) fn call_subqueries(&mut self, q: &mut SingleQuery) -> Result<(), Unsupported> {
        let mut i = 0;
        while i < q.clauses.len() {
            if !matches!(q.clauses[i].kind, ClauseKind::CallSubquery { .. }) {
                i += 1;
                continue;
            }
            let clause = q.clauses.remove(i);
            let span = clause.span;
            let ClauseKind::CallSubquery {
                query,
                in_transactions,
            } = clause.kind
            else {
                unreachable!()
            };
            let refuse = |what: &str| {
                unsupported(
                    format!("CALL {{ … }} subquery {what}"),
                    span,
                    CALL_SUGGESTION,
                )
            };
            if in_transactions {
                return Err(refuse("IN TRANSACTIONS"));
            }
            if !query.unions.is_empty() {
                return Err(refuse("with UNION"));
            }
            let mut inner = query.first.clauses;
            if inner
                .iter()
                .any(|c| matches!(c.kind, ClauseKind::CallSubquery { .. }))
            {
                return Err(refuse("nested in another CALL { … }"));
            }
            let Some(Clause {
                kind: ClauseKind::Return(ret),
                span: ret_span,
            }) = inner.pop()
            else {
                return Err(refuse("without a final RETURN"));
            };
            let mut names = Vec::new();
            for item in &ret.items {
                match (&item.alias, &item.expr.kind) {
                    (Some(a), _) | (None, ExprKind::Variable(a)) => names.push(a.clone()),
                    _ => return Err(refuse("returning an expression without AS")),
                }
            }
            let single_row = !ret.items.is_empty()
                && ret.items.iter().all(|it| is_aggregate(&it.expr))
                && ret.skip.is_none()
                && ret.limit.is_none()
                && !ret.star;
            let imports = match inner.first() {
                Some(Clause {
                    kind: ClauseKind::With(p),
                    ..
                }) if !p.star
                    && !p.distinct
                    && p.order_by.is_empty()
                    && p.skip.is_none()
                    && p.limit.is_none()
                    && p.where_.is_none() =>
                {
                    p.items
                        .iter()
                        .map(|it| match (&it.expr.kind, &it.alias) {
                            (ExprKind::Variable(v), None) => Some(v.clone()),
                            (ExprKind::Variable(v), Some(a)) if a.name == v.name => Some(v.clone()),
                            _ => None,
                        })
                        .collect::<Option<Vec<_>>>()
                }
                _ => None,
            };
            match imports {
                None => {
                    // Uncorrelated: a cross product with the rows before it, which commutes.
                    for c in &mut q.clauses[..i] {
                        if let ClauseKind::With(p) = &mut c.kind {
                            let merges = p.distinct
                                || p.skip.is_some()
                                || p.limit.is_some()
                                || p.items.iter().any(|it| contains_aggregate(&it.expr));
                            if merges && !single_row {
                                return Err(refuse(
                                    "after an aggregating, DISTINCT or paginated WITH",
                                ));
                            }
                            if !p.star {
                                p.items.extend(names.iter().map(|n| ProjectionItem {
                                    expr: var(n),
                                    alias: None,
                                }));
                            }
                        }
                    }
                    let mut hoisted = inner;
                    hoisted.push(Clause {
                        kind: ClauseKind::With(ret),
                        span: ret_span,
                    });
                    let n = hoisted.len();
                    q.clauses.splice(0..0, hoisted);
                    i += n;
                }
                Some(imported)
                    if !single_row
                        && row_local_projection(&ret)
                        && !ret.star
                        && inner[1..].iter().all(row_local) =>
                {
                    let inlined = self.inline_correlated(
                        &q.clauses[..i],
                        &imported,
                        inner.split_off(1),
                        ret,
                        ret_span,
                        &refuse,
                    )?;
                    let n = inlined.len();
                    q.clauses.splice(i..i, inlined);
                    i += n;
                }
                Some(_)
                    if inner.len() > 2
                        && inner[1..].iter().all(|c| {
                            matches!(
                                c.kind,
                                ClauseKind::Match {
                                    optional: false,
                                    ..
                                }
                            )
                        })
                        && single_row
                        && !ret.distinct
                        && ret.order_by.is_empty() =>
                {
                    let (before, _) = q.clauses.split_at_mut(i);
                    let outer = self
                        .distinguishing_variables(before)
                        .ok_or_else(|| refuse("after clauses other than MATCH (correlated)"))?;
                    let clauses = self.aggregate_over_matches(
                        outer,
                        inner.split_off(1),
                        ret,
                        ret_span,
                        &refuse,
                    )?;
                    let n = clauses.len();
                    q.clauses.splice(i..i, clauses);
                    i += n;
                }
                Some(_) => {
                    let (before, _) = q.clauses.split_at_mut(i);
                    let outer = self
                        .distinguishing_variables(before)
                        .ok_or_else(|| refuse("after clauses other than MATCH (correlated)"))?;
                    let [
                        Clause {
                            kind:
                                ClauseKind::Match {
                                    optional: false,
                                    mut patterns,
                                    where_,
                                },
                            span: m_span,
                        },
                    ] = <[Clause; 1]>::try_from(inner.split_off(1)).map_err(|_| {
                        refuse("with clauses other than WITH … MATCH … RETURN (correlated)")
                    })?
                    else {
                        return Err(refuse(
                            "with clauses other than WITH … MATCH … RETURN (correlated)",
                        ));
                    };
                    if !single_row || ret.distinct || !ret.order_by.is_empty() {
                        return Err(refuse("returning other than aggregates (correlated)"));
                    }
                    let marker = self.marker(&mut patterns);
                    let mut items: Vec<ProjectionItem> = outer
                        .iter()
                        .map(|v| ProjectionItem {
                            expr: var(v),
                            alias: None,
                        })
                        .collect();
                    for mut item in ret.items {
                        item.expr = match item.expr.kind {
                            ExprKind::CountStar => {
                                let m = marker.clone().ok_or_else(|| {
                                    refuse("counting rows of a single-node MATCH (correlated)")
                                })?;
                                Expr::new(
                                    ExprKind::Function {
                                        name: vec![Ident {
                                            name: "count".into(),
                                            span,
                                        }],
                                        distinct: false,
                                        args: vec![var(&m)],
                                    },
                                    item.expr.span,
                                )
                            }
                            ExprKind::Function { ref name, .. }
                                if name[0].name.eq_ignore_ascii_case("sum") =>
                            {
                                let s = item.expr.span;
                                let zero =
                                    Expr::new(ExprKind::Literal(Literal::Int("0".into())), s);
                                Expr::new(
                                    ExprKind::Function {
                                        name: vec![Ident {
                                            name: "coalesce".into(),
                                            span: s,
                                        }],
                                        distinct: false,
                                        args: vec![item.expr, zero],
                                    },
                                    s,
                                )
                            }
                            _ => item.expr,
                        };
                        items.push(item);
                    }
                    let optional = Clause {
                        kind: ClauseKind::Match {
                            optional: true,
                            patterns,
                            where_,
                        },
                        span: m_span,
                    };
                    let proj = Projection {
                        distinct: false,
                        star: false,
                        items,
                        order_by: vec![],
                        skip: None,
                        limit: None,
                        where_: None,
                    };
                    q.clauses.splice(
                        i..i,
                        [
                            optional,
                            Clause {
                                kind: ClauseKind::With(proj),
                                span: ret_span,
                            },
                        ],
                    );
                    i += 2;
                }
            }
        }
        Ok(())
    }

    /// A correlated `CALL { WITH a MATCH p1 [WHERE w1] MATCH p2 … RETURN <aggregates> }` after
    /// `MATCH` clauses: each `MATCH` becomes an `OPTIONAL MATCH`, a row is a complete match when
    /// every clause's marker relationship is bound, and each aggregate only sees complete matches
    /// (`count(*)` → `count(CASE WHEN <complete> THEN 1 END)`, `f(x)` → `f(CASE WHEN <complete>
    /// THEN x END)`, `sum` → `coalesce(sum(…), 0)`), grouped back by the outer variables.
    fn aggregate_over_matches(
        &mut self,
        outer: Vec<Ident>,
        body: Vec<Clause>,
        ret: Projection,
        ret_span: Span,
        refuse: &dyn Fn(&str) -> Unsupported,
    ) -> Result<Vec<Clause>, Unsupported> {
        let mut out = Vec::new();
        let mut complete: Option<Expr> = None;
        for c in body {
            let ClauseKind::Match {
                mut patterns,
                where_,
                ..
            } = c.kind
            else {
                unreachable!("checked by the caller")
            };
            let marker = self.marker(&mut patterns).ok_or_else(|| {
                refuse("over a MATCH without a relationship (correlated aggregate)")
            })?;
            let bound = Expr::new(ExprKind::IsNull(Box::new(var(&marker)), true), marker.span);
            complete = super::super::tree::and_all(complete, vec![bound]);
            out.push(Clause {
                kind: ClauseKind::Match {
                    optional: true,
                    patterns,
                    where_,
                },
                span: c.span,
            });
        }
        let complete = complete.expect("at least one MATCH");
        let when = |e: Expr| {
            let s = e.span;
            Expr::new(
                ExprKind::Case {
                    subject: None,
                    whens: vec![(complete.clone(), e)],
                    else_: None,
                },
                s,
            )
        };
        let mut items: Vec<ProjectionItem> = outer
            .iter()
            .map(|v| ProjectionItem {
                expr: var(v),
                alias: None,
            })
            .collect();
        for mut item in ret.items {
            let s = item.expr.span;
            item.expr = match item.expr.kind {
                ExprKind::CountStar => call(
                    "count",
                    vec![when(Expr::new(
                        ExprKind::Literal(Literal::Int("1".into())),
                        s,
                    ))],
                    s,
                ),
                ExprKind::Function {
                    name,
                    distinct,
                    mut args,
                } if args.len() == 1 => {
                    let arg = args.pop().expect("one argument");
                    let sum = name[0].name.eq_ignore_ascii_case("sum");
                    let agg = Expr::new(
                        ExprKind::Function {
                            name,
                            distinct,
                            args: vec![when(arg)],
                        },
                        s,
                    );
                    if sum {
                        let zero = Expr::new(ExprKind::Literal(Literal::Int("0".into())), s);
                        call("coalesce", vec![agg, zero], s)
                    } else {
                        agg
                    }
                }
                _ => return Err(refuse("returning this aggregate (correlated)")),
            };
            items.push(item);
        }
        out.push(Clause {
            kind: ClauseKind::With(Projection {
                distinct: false,
                star: false,
                items,
                order_by: vec![],
                skip: None,
                limit: None,
                where_: None,
            }),
            span: ret_span,
        });
        Ok(out)
    }

    /// A correlated `CALL { WITH a … RETURN x AS y }` whose body and `RETURN` are row-local is a
    /// join with the rows before it: its clauses are inlined, every `WITH` in them also carries
    /// the outer variables, and a final `WITH <outer variables>, x AS y` ends the body's scope.
    /// Refused when a body variable would capture an outer one of the same name that was not
    /// imported (inside the subquery it is a new variable).
    fn inline_correlated(
        &mut self,
        before: &[Clause],
        imported: &[Ident],
        mut body: Vec<Clause>,
        ret: Projection,
        ret_span: Span,
        refuse: &dyn Fn(&str) -> Unsupported,
    ) -> Result<Vec<Clause>, Unsupported> {
        let outer = scope_after(before)
            .ok_or_else(|| refuse("after a clause whose variables are not known (correlated)"))?;
        let mut introduced: Vec<Ident> = Vec::new();
        for c in &body {
            match &c.kind {
                ClauseKind::Match { patterns, .. } => pattern_variables(patterns, &mut introduced),
                ClauseKind::Unwind { alias, .. } => push_name(&mut introduced, alias),
                ClauseKind::With(p) => {
                    for it in &p.items {
                        if let Some(a) = &it.alias {
                            push_name(&mut introduced, a);
                        }
                    }
                }
                _ => {}
            }
        }
        for it in &ret.items {
            if let Some(a) = &it.alias {
                push_name(&mut introduced, a);
            }
        }
        if let Some(clash) = introduced.iter().find(|v| {
            outer.iter().any(|o| o.name == v.name) && !imported.iter().any(|o| o.name == v.name)
        }) {
            return Err(refuse(&format!(
                "reusing the outer name `{}` for a new variable (correlated)",
                clash.name
            )));
        }
        for c in &mut body {
            if let ClauseKind::With(p) = &mut c.kind
                && !p.star
            {
                for o in &outer {
                    let projected = p.items.iter().any(|it| match (&it.alias, &it.expr.kind) {
                        (Some(a), _) | (None, ExprKind::Variable(a)) => a.name == o.name,
                        _ => false,
                    });
                    if !projected {
                        p.items.push(ProjectionItem {
                            expr: var(o),
                            alias: None,
                        });
                    }
                }
            }
        }
        let mut items: Vec<ProjectionItem> = outer
            .iter()
            .map(|v| ProjectionItem {
                expr: var(v),
                alias: None,
            })
            .collect();
        for it in ret.items {
            let same = matches!((&it.alias, &it.expr.kind),
                (None, ExprKind::Variable(v)) if outer.iter().any(|o| o.name == v.name));
            if !same {
                items.push(it);
            }
        }
        body.push(Clause {
            kind: ClauseKind::With(Projection {
                distinct: false,
                star: false,
                items,
                order_by: vec![],
                skip: None,
                limit: None,
                where_: ret.where_,
            }),
            span: ret_span,
        });
        Ok(body)
    }

    /// `CALL { A UNION [ALL] B } rest` as the first clause of a query without `UNION`s of its
    /// own is `A' rest UNION [ALL] B' rest` (each branch's `RETURN` as a `WITH`) when `rest`
    /// maps each row to its own rows — row-local clauses and a final `RETURN` without
    /// aggregates, `DISTINCT`, `ORDER BY`, `SKIP` or `LIMIT` — and, for `UNION` without `ALL`,
    /// when `rest` also keeps rows apart: `WITH … WHERE` filters and a `RETURN` of the
    /// subquery's columns as plain variables. Other `CALL { … UNION … }` are refused.
    pub(super) fn distribute_union_call(
        &mut self,
        q: &mut RegularQuery,
    ) -> Result<(), Unsupported> {
        let Some(Clause {
            kind:
                ClauseKind::CallSubquery {
                    query: sub,
                    in_transactions: false,
                },
            span,
        }) = q.first.clauses.first()
        else {
            return Ok(());
        };
        if sub.unions.is_empty() {
            return Ok(());
        }
        let span = *span;
        let refuse = |what: &str| {
            unsupported(
                format!("CALL {{ … UNION … }} {what}"),
                span,
                "run the UNION as a query of its own, or move what follows the CALL into each branch",
            )
        };
        if !q.unions.is_empty() {
            return Err(refuse("in a query with UNION branches of its own"));
        }
        let rest = &q.first.clauses[1..];
        let Some((
            Clause {
                kind: ClauseKind::Return(last),
                ..
            },
            middle,
        )) = rest.split_last()
        else {
            return Err(refuse("not followed by a RETURN"));
        };
        if !middle.iter().all(row_local) || !row_local_projection(last) {
            return Err(refuse(
                "followed by aggregation, DISTINCT, ORDER BY, SKIP or LIMIT (not per row)",
            ));
        }
        let distinct = sub.unions.iter().any(|u| !u.all);
        if distinct {
            let columns = match sub.first.clauses.last().map(|c| &c.kind) {
                Some(ClauseKind::Return(p)) => p
                    .items
                    .iter()
                    .filter_map(|it| match (&it.alias, &it.expr.kind) {
                        (Some(a), _) | (None, ExprKind::Variable(a)) => Some(a.name.clone()),
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
                _ => vec![],
            };
            let plain = |p: &Projection| {
                p.star
                    || columns.iter().all(|c| {
                        p.items.iter().any(
                            |it| matches!(&it.expr.kind, ExprKind::Variable(v) if v.name == *c),
                        )
                    }) && p
                        .items
                        .iter()
                        .all(|it| matches!(it.expr.kind, ExprKind::Variable(_)))
            };
            let filters_only = middle
                .iter()
                .all(|c| matches!(&c.kind, ClauseKind::With(p) if plain(p)));
            if !filters_only || last.star || !plain(last) {
                return Err(refuse(
                    "without ALL followed by more than filters and a RETURN of its columns",
                ));
            }
        }
        let rest: Vec<Clause> = rest.to_vec();
        let ClauseKind::CallSubquery { query: sub, .. } = q.first.clauses.remove(0).kind else {
            unreachable!()
        };
        let branch = |mut s: SingleQuery| -> Result<SingleQuery, Unsupported> {
            match s.clauses.pop() {
                Some(Clause {
                    kind: ClauseKind::Return(p),
                    span,
                }) => {
                    s.clauses.push(Clause {
                        kind: ClauseKind::With(p),
                        span,
                    });
                    s.clauses.extend(rest.iter().cloned());
                    Ok(s)
                }
                _ => Err(refuse("with a branch without a final RETURN")),
            }
        };
        let sub = *sub;
        q.first = branch(sub.first)?;
        for u in sub.unions {
            q.unions.push(Union {
                all: u.all,
                query: branch(u.query)?,
                span: u.span,
            });
        }
        Ok(())
    }

    /// Pattern comprehensions in the items of a non-aggregating `WITH` / `RETURN` after `MATCH`
    /// clauses: `OPTIONAL MATCH pattern WHERE filter WITH <outer variables>, collect(map) AS xs`.
    pub(super) fn pattern_comprehensions(
        &mut self,
        q: &mut SingleQuery,
    ) -> Result<(), Unsupported> {
        let mut i = 0;
        while i < q.clauses.len() {
            let span = q.clauses[i].span;
            let (before, rest) = q.clauses.split_at_mut(i);
            let (ClauseKind::With(p) | ClauseKind::Return(p)) = &mut rest[0].kind else {
                i += 1;
                continue;
            };
            let mut has = false;
            for it in &p.items {
                walk(&it.expr, &mut |x| {
                    has |= matches!(x.kind, ExprKind::PatternComprehension { .. })
                });
            }
            if !has || p.items.iter().any(|it| contains_aggregate(&it.expr)) {
                i += 1;
                continue;
            }
            let Some(outer) = self.distinguishing_variables(before) else {
                i += 1;
                continue;
            };
            let mut inserted = Vec::new();
            let mut lists: Vec<Ident> = Vec::new();
            for it in &mut p.items {
                loop {
                    let name = self.fresh_ident(it.expr.span);
                    let Some(found) = take_comprehension(&mut it.expr, &name) else {
                        break;
                    };
                    let ExprKind::PatternComprehension {
                        variable,
                        pattern,
                        filter,
                        map,
                    } = found.kind
                    else {
                        unreachable!()
                    };
                    let mut patterns = vec![PathPattern {
                        variable,
                        shortest: None,
                        element: *pattern,
                        span: found.span,
                    }];
                    let Some(marker) = self.marker(&mut patterns) else {
                        return Err(unsupported(
                            "pattern comprehension over a single node",
                            found.span,
                            "use a relationship pattern: [(a)-[:R]->(b) | b.name]",
                        ));
                    };
                    let s = found.span;
                    let guarded = Expr::new(
                        ExprKind::Case {
                            subject: None,
                            whens: vec![(
                                Expr::new(ExprKind::IsNull(Box::new(var(&marker)), true), s),
                                *map,
                            )],
                            else_: None,
                        },
                        s,
                    );
                    let collect = Expr::new(
                        ExprKind::Function {
                            name: vec![Ident {
                                name: "collect".into(),
                                span: s,
                            }],
                            distinct: false,
                            args: vec![guarded],
                        },
                        s,
                    );
                    let mut items: Vec<ProjectionItem> = outer
                        .iter()
                        .chain(lists.iter())
                        .map(|v| ProjectionItem {
                            expr: var(v),
                            alias: None,
                        })
                        .collect();
                    items.push(ProjectionItem {
                        expr: collect,
                        alias: Some(name.clone()),
                    });
                    lists.push(name);
                    inserted.push(Clause {
                        kind: ClauseKind::Match {
                            optional: true,
                            patterns,
                            where_: filter.map(|f| *f),
                        },
                        span,
                    });
                    let proj = Projection {
                        distinct: false,
                        star: false,
                        items,
                        order_by: vec![],
                        skip: None,
                        limit: None,
                        where_: None,
                    };
                    inserted.push(Clause {
                        kind: ClauseKind::With(proj),
                        span,
                    });
                }
            }
            let n = inserted.len();
            q.clauses.splice(i..i, inserted);
            i += n + 1;
        }
        Ok(())
    }
}
