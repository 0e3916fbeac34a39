//! Kùzu / ryugraph: clause and pattern rewrites (expressions in [`expr`]).
//!
//! Facts used (Kùzu documentation, "Differences between Kuzu and Neo4j", `match.md`,
//! `subquery.md`): relationships must be bracketed; no `WHERE` inside patterns and no label
//! predicates (`label(n) = 'X'` instead); a node has exactly one label and `(n:A:B)` means A *or*
//! B; relationship alternatives are `:A|:B`; shortest paths are `-[* SHORTEST 1..n]-`; `EXISTS` /
//! `COUNT` subqueries hold one `MATCH` with an optional `WHERE`; no `CALL { }`.

mod expr;

mod lift;

use super::DialectRules;
use super::tree::{self, and_all, may_bind_same_relationship};
use crate::ast::*;
use crate::error::Unsupported;
use crate::print::Style;
use crate::schema::{Schema, ValueType};

/// Words Kùzu reserves (its `syntax.md`), quoted when used as names.
const KUZU_RESERVED: &[&str] = &[
    "ALL",
    "AND",
    "AS",
    "ASC",
    "ASCENDING",
    "BY",
    "CALL",
    "CASE",
    "CAST",
    "COLUMN",
    "CONTAINS",
    "COUNT",
    "CREATE",
    "DBTYPE",
    "DEFAULT",
    "DELETE",
    "DESC",
    "DESCENDING",
    "DETACH",
    "DISTINCT",
    "ELSE",
    "END",
    "ENDS",
    "EXISTS",
    "FALSE",
    "FROM",
    "GLOB",
    "GROUP",
    "HEADERS",
    "IN",
    "INSTALL",
    "IS",
    "LIMIT",
    "MACRO",
    "MATCH",
    "MERGE",
    "NOT",
    "NULL",
    "ON",
    "ONLY",
    "OPTIONAL",
    "OR",
    "ORDER",
    "PRIMARY",
    "PROFILE",
    "RETURN",
    "SET",
    "SHORTEST",
    "SKIP",
    "STARTS",
    "TABLE",
    "THEN",
    "TO",
    "TRUE",
    "UNION",
    "UNWIND",
    "WHEN",
    "WHERE",
    "WITH",
    "XOR",
    "YIELD",
];

pub(super) const ENGINE: &str = "Kùzu/ryugraph";

/// The Kùzu rules.
pub struct Kuzu;

impl DialectRules for Kuzu {
    fn engine(&self) -> &'static str {
        ENGINE
    }
    fn style(&self) -> Style {
        Style {
            reserved: KUZU_RESERVED,
            kuzu_labels: true,
        }
    }
    fn rewrite(
        &self,
        query: &mut RegularQuery,
        schema: Option<&Schema>,
    ) -> Result<(), Unsupported> {
        Rewriter {
            fresh: 0,
            schema: schema.filter(|s| !s.is_empty()),
            scope: Vec::new(),
        }
        .query(query, true)
    }
}

pub(super) fn unsupported(
    construct: impl Into<String>,
    span: Span,
    suggestion: impl Into<String>,
) -> Unsupported {
    Unsupported {
        construct: construct.into(),
        engine: ENGINE,
        span,
        suggestion: suggestion.into(),
    }
}

/// What a variable in scope is bound to, as far as the translator can tell.
#[derive(Debug, Clone)]
pub(super) enum Binding {
    /// A node whose label is one of these (`None`: any label).
    Node(Option<Vec<String>>),
    /// A relationship whose type is one of these (`None`: any type).
    Rel(Option<Vec<String>>),
    /// Any other value, with its type when known.
    Value(Option<ValueType>),
}

pub(super) struct Rewriter<'s> {
    fresh: u32,
    /// The graph's catalogue, when the caller passed a non-empty one.
    schema: Option<&'s Schema>,
    /// Variables in scope, innermost last (later entries shadow earlier ones).
    scope: Vec<(String, Binding)>,
}

impl Rewriter<'_> {
    fn query(&mut self, q: &mut RegularQuery, top: bool) -> Result<(), Unsupported> {
        self.distribute_union_call(q)?;
        self.single(&mut q.first, top)?;
        for u in &mut q.unions {
            self.single(&mut u.query, top)?;
        }
        Ok(())
    }

    fn single(&mut self, q: &mut SingleQuery, top: bool) -> Result<(), Unsupported> {
        self.call_subqueries(q)?;
        self.pattern_comprehensions(q)?;
        let outer = self.scope.clone();
        let mut i = 0;
        while i < q.clauses.len() {
            if let Some(distinct) = self.clause(&mut q.clauses[i])? {
                // The relationship-uniqueness check of a `MATCH`, after a `WITH *` barrier:
                // Kùzu plans the `MATCH` alone (from its bound end, as without the check) and
                // filters its rows after. Inside the `MATCH`'s `WHERE`, the predicate over two
                // relationships made Kùzu scan every pair of them (3-hop query of the engines
                // benchmark: 380 ms at p50 against 28 ms; README, `docs/decisions.md`).
                let span = q.clauses[i].span;
                let barrier = Projection {
                    distinct: false,
                    star: true,
                    items: vec![],
                    order_by: vec![],
                    skip: None,
                    limit: None,
                    where_: Some(distinct),
                };
                i += 1;
                q.clauses.insert(
                    i,
                    Clause {
                        kind: ClauseKind::With(barrier),
                        span,
                    },
                );
            }
            i += 1;
        }
        self.scope = outer;
        // Kùzu's YIELD must name every output column and takes no WHERE: without YIELD all
        // columns are in scope, and a `WITH field AS alias, … WHERE …` keeps the yielded ones.
        let mut i = 0;
        while i < q.clauses.len() {
            let span = q.clauses[i].span;
            if let ClauseKind::CallProcedure(call) = &mut q.clauses[i].kind
                && let Some(fields) = call.yield_items.take()
            {
                let items = fields
                    .into_iter()
                    .map(|(field, alias)| ProjectionItem {
                        expr: Expr::new(ExprKind::Variable(field.clone()), field.span),
                        alias,
                    })
                    .collect();
                let proj = Projection {
                    distinct: false,
                    star: call.yield_star,
                    items,
                    order_by: vec![],
                    skip: None,
                    limit: None,
                    where_: call.where_.take(),
                };
                call.yield_star = false;
                q.clauses.insert(
                    i + 1,
                    Clause {
                        kind: ClauseKind::With(proj),
                        span,
                    },
                );
            }
            i += 1;
        }
        // Kùzu needs a RETURN after a standalone CALL.
        if top
            && let [
                Clause {
                    kind: ClauseKind::CallProcedure(call),
                    span,
                },
            ] = q.clauses.as_slice()
            && call.yield_items.is_none()
        {
            let span = *span;
            let proj = Projection {
                distinct: false,
                star: true,
                items: vec![],
                order_by: vec![],
                skip: None,
                limit: None,
                where_: None,
            };
            q.clauses.push(Clause {
                kind: ClauseKind::Return(proj),
                span,
            });
        }
        Ok(())
    }

    /// Rewrites one clause; for a non-optional `MATCH`, returns the check that its fixed-length
    /// relationships are distinct, to be applied after the clause (see [`Self::single`]).
    fn clause(&mut self, c: &mut Clause) -> Result<Option<Expr>, Unsupported> {
        match &mut c.kind {
            ClauseKind::Match {
                patterns,
                where_,
                optional,
            } => {
                for p in patterns.iter() {
                    self.bind_pattern(p);
                }
                let mut extra = Vec::new();
                for p in patterns.iter_mut() {
                    self.path_pattern(p, &mut extra)?;
                }
                let mut distinct = Vec::new();
                self.unique_relationships(patterns, &mut extra, &mut distinct);
                if let Some(w) = where_ {
                    self.expr(w)?;
                }
                // An OPTIONAL MATCH keeps the check in its WHERE: a row failing it is a row of
                // nulls, not no row.
                if *optional {
                    extra.append(&mut distinct);
                }
                *where_ = and_all(where_.take(), extra);
                return Ok(and_all(None, distinct));
            }
            ClauseKind::Unwind { expr, alias } => {
                self.expr(expr)?;
                self.bind(&alias.name, Binding::Value(None));
            }
            ClauseKind::With(p) => {
                self.projection(p, false)?;
                self.scope = self.projected_scope(p);
                // Kùzu's binder wants SKIP or LIMIT after ORDER BY in WITH.
                if !p.order_by.is_empty() && p.skip.is_none() && p.limit.is_none() {
                    let span = p.order_by[0].expr.span;
                    p.skip = Some(Expr::new(ExprKind::Literal(Literal::Int("0".into())), span));
                }
            }
            ClauseKind::Return(p) => self.projection(p, true)?,
            ClauseKind::CallSubquery { .. } => {
                return Err(unsupported(
                    "CALL { … } subquery of this shape",
                    c.span,
                    lift::CALL_SUGGESTION,
                ));
            }
            ClauseKind::CallProcedure(call) => {
                self.procedure(call, c.span)?;
                for (field, alias) in call.yield_items.iter().flatten() {
                    self.bind(&alias.as_ref().unwrap_or(field).name, Binding::Value(None));
                }
            }
            // Updating clauses never get here: the gate refuses them first.
            _ => {}
        }
        Ok(None)
    }

    fn projection(&mut self, p: &mut Projection, is_return: bool) -> Result<(), Unsupported> {
        for item in &mut p.items {
            self.expr(&mut item.expr)?;
        }
        // An alias that shadows a variable (`RETURN a.id AS a ORDER BY a`) means the alias in
        // Cypher, but the engine sorts by the variable. In `RETURN` the alias is renamed (the
        // result's columns are named from the text as written); in `WITH`, where later clauses
        // use the name, such sort keys become the projected expression itself.
        let mut shadowing: Vec<(String, Expr)> = Vec::new();
        for i in 0..p.items.len() {
            let Some(alias) = p.items[i].alias.clone() else {
                continue;
            };
            let itself =
                matches!(&p.items[i].expr.kind, ExprKind::Variable(v) if v.name == alias.name);
            if itself || self.lookup(&alias.name).is_none() {
                continue;
            }
            let key = if is_return {
                let fresh = self.fresh_variable(alias.span);
                p.items[i].alias = Some(fresh.clone());
                Expr::new(ExprKind::Variable(fresh), alias.span)
            } else {
                p.items[i].expr.clone()
            };
            shadowing.push((alias.name, key));
        }
        // ORDER BY and WHERE see the projected names too.
        let before = self.scope.len();
        for item in &p.items {
            if let Some(alias) = &item.alias {
                let binding = self.binding_of(&item.expr);
                self.scope.push((alias.name.clone(), binding));
            }
        }
        for s in &mut p.order_by {
            if let ExprKind::Variable(v) = &s.expr.kind
                && let Some((_, projected)) = shadowing.iter().find(|(name, _)| *name == v.name)
            {
                s.expr = projected.clone();
                continue;
            }
            self.expr(&mut s.expr)?;
            self.orderable_id(&mut s.expr);
        }
        for e in p
            .skip
            .iter_mut()
            .chain(p.limit.iter_mut())
            .chain(p.where_.iter_mut())
        {
            self.expr(e)?;
        }
        self.scope.truncate(before);
        Ok(())
    }

    /// Kùzu cannot sort by `id(x)` (an internal id); for a variable of one known label or type
    /// the id's offset sorts the same (ids are dense, one range per label).
    fn orderable_id(&self, e: &mut Expr) {
        let ExprKind::Function { name, args, .. } = &e.kind else {
            return;
        };
        let [
            Expr {
                kind: ExprKind::Variable(v),
                ..
            },
        ] = args.as_slice()
        else {
            return;
        };
        let single = |l: &Option<Vec<String>>| l.as_ref().is_some_and(|l| l.len() == 1);
        let known = match self.lookup(&v.name) {
            Some(Binding::Node(l)) | Some(Binding::Rel(l)) => single(l),
            _ => false,
        };
        if name.len() == 1 && name[0].name.eq_ignore_ascii_case("id") && known {
            let span = e.span;
            let id = std::mem::replace(e, Expr::new(ExprKind::Literal(Literal::Null), span));
            *e = Expr::new(
                ExprKind::Function {
                    name: vec![Ident {
                        name: "offset".into(),
                        span,
                    }],
                    distinct: false,
                    args: vec![id],
                },
                span,
            );
        }
    }

    /// With a schema, a pattern property none of the element's possible tables has cannot
    /// equal anything (Neo4j: no match; Kùzu: binder error): the entry becomes `false`.
    fn drop_unknown_keys(
        &self,
        rel: bool,
        tables: Option<&LabelExpr>,
        props: &mut Option<Expr>,
        extra: &mut Vec<Expr>,
        span: Span,
    ) {
        let (
            Some(schema),
            Some(Expr {
                kind: ExprKind::Map(entries),
                ..
            }),
        ) = (self.schema, props.as_mut())
        else {
            return;
        };
        let names = tables.and_then(label_names);
        let before = entries.len();
        entries.retain(|(k, _)| {
            !schema
                .property_types(rel, names.as_deref(), &k.name)
                .is_empty()
        });
        if entries.len() < before {
            extra.push(Expr::new(ExprKind::Literal(Literal::Bool(false)), span));
        }
        if entries.is_empty() {
            *props = None;
        }
    }

    /// With a schema, a pattern label (or relationship type) the graph does not have can match
    /// nothing (Neo4j: no rows; Kùzu: a binder error naming the table). Unknown alternatives of
    /// `:A|B` are dropped; when no alternative is left, or a conjunction needs an unknown one,
    /// the pattern loses its labels and `false` is ANDed into the clause's `WHERE` (no rows;
    /// `OPTIONAL MATCH` gives nulls). Negations and wildcards are kept: they are predicates.
    fn known_tables(
        &self,
        rel: bool,
        labels: Option<LabelExpr>,
        extra: &mut Vec<Expr>,
        span: Span,
    ) -> Option<LabelExpr> {
        let Some(schema) = self.schema else {
            return labels;
        };
        let l = labels?;
        let known = |n: &Ident| schema.has_table(rel, &n.name);
        let never = |extra: &mut Vec<Expr>| {
            extra.push(Expr::new(ExprKind::Literal(Literal::Bool(false)), span));
            None
        };
        match l {
            LabelExpr::Name(ref n) if !known(n) => never(extra),
            LabelExpr::Or(parts) if parts.iter().all(|p| matches!(p, LabelExpr::Name(_))) => {
                let kept: Vec<LabelExpr> = parts
                    .into_iter()
                    .filter(|p| matches!(p, LabelExpr::Name(n) if known(n)))
                    .collect();
                match kept.len() {
                    0 => never(extra),
                    1 => kept.into_iter().next(),
                    _ => Some(LabelExpr::Or(kept)),
                }
            }
            LabelExpr::And(ref parts)
                if parts
                    .iter()
                    .any(|p| matches!(p, LabelExpr::Name(n) if !known(n))) =>
            {
                never(extra)
            }
            other => Some(other),
        }
    }

    /// Binds `name` in the current scope.
    pub(super) fn bind(&mut self, name: &str, binding: Binding) {
        self.scope.push((name.to_string(), binding));
    }

    /// What `name` is bound to, if the translator knows.
    pub(super) fn lookup(&self, name: &str) -> Option<&Binding> {
        self.scope
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b)
    }

    /// What an already rewritten expression binds when projected under a name.
    fn binding_of(&self, e: &Expr) -> Binding {
        match &e.kind {
            ExprKind::Variable(v) => self
                .lookup(&v.name)
                .cloned()
                .unwrap_or(Binding::Value(None)),
            ExprKind::Literal(Literal::Null) => Binding::Value(Some(expr::untyped_null())),
            _ => Binding::Value(self.static_type(e)),
        }
    }

    /// The scope after a `WITH`: its items (and everything before with `*`).
    fn projected_scope(&self, p: &Projection) -> Vec<(String, Binding)> {
        let mut next = if p.star {
            self.scope.clone()
        } else {
            Vec::new()
        };
        for item in &p.items {
            let name = match (&item.alias, &item.expr.kind) {
                (Some(a), _) => a.name.clone(),
                (None, ExprKind::Variable(v)) => v.name.clone(),
                _ => continue,
            };
            next.push((name, self.binding_of(&item.expr)));
        }
        next
    }

    /// Binds the variables a pattern introduces, with the labels or types it allows.
    pub(super) fn bind_pattern(&mut self, p: &PathPattern) {
        if let Some(v) = &p.variable {
            self.bind(&v.name, Binding::Value(None));
        }
        let el = &p.element;
        for n in std::iter::once(&el.start).chain(el.chain.iter().map(|(_, n)| n)) {
            if let Some(v) = &n.variable {
                let labels = n.labels.as_ref().and_then(label_names);
                match (self.lookup(&v.name), labels) {
                    (Some(Binding::Node(_)), None) => {}
                    (_, labels) => self.bind(&v.name, Binding::Node(labels)),
                }
            }
        }
        for (r, _) in &el.chain {
            if let Some(v) = &r.variable {
                let types = if r.length.is_some() {
                    None
                } else {
                    r.types.as_ref().and_then(label_names)
                };
                let binding = if r.length.is_some() {
                    Binding::Value(None)
                } else {
                    Binding::Rel(types)
                };
                self.bind(&v.name, binding);
            }
        }
    }

    fn procedure(&mut self, call: &mut ProcedureCall, span: Span) -> Result<(), Unsupported> {
        let name = call.dotted_name().to_ascii_lowercase();
        if name.starts_with("db.") {
            let suggestion = match name.as_str() {
                "db.labels" => {
                    "CALL show_tables() YIELD name, type WHERE type = 'NODE' RETURN name AS label"
                }
                "db.relationshiptypes" => {
                    "CALL show_tables() YIELD name, type WHERE type = 'REL' RETURN name AS relationshipType"
                }
                _ => "CALL show_tables() RETURN * and CALL table_info('Label') RETURN *",
            };
            return Err(unsupported(
                format!("procedure {}", call.dotted_name()),
                span,
                suggestion,
            ));
        }
        for a in call.args.iter_mut().flatten() {
            self.expr(a)?;
        }
        if call.args.is_none() {
            call.args = Some(Vec::new());
        }
        if let Some(w) = &mut call.where_ {
            self.expr(w)?;
        }
        Ok(())
    }

    fn fresh_variable(&mut self, span: Span) -> Ident {
        self.fresh += 1;
        Ident {
            name: format!("_gq{}", self.fresh),
            span,
        }
    }

    /// Rewrites a pattern in place; conditions Kùzu cannot express inside patterns are pushed
    /// to `extra` (to be ANDed into the clause's `WHERE`).
    pub(super) fn path_pattern(
        &mut self,
        pp: &mut PathPattern,
        extra: &mut Vec<Expr>,
    ) -> Result<(), Unsupported> {
        if let Some(kind) = pp.shortest.take() {
            let name = if kind == Shortest::One {
                "shortestPath()"
            } else {
                "allShortestPaths()"
            };
            let [(rel, _)] = pp.element.chain.as_mut_slice() else {
                return Err(unsupported(
                    format!("{name} over more than one relationship"),
                    pp.span,
                    "use one variable-length relationship: shortestPath((a)-[*..10]-(b))",
                ));
            };
            let mut len = rel.length.take().unwrap_or(VarLength {
                min: Some(1),
                max: Some(1),
                exact: false,
                shortest: None,
            });
            match len.min {
                None | Some(1) => len.min = Some(1),
                Some(_) => {
                    return Err(unsupported(
                        format!("{name} with a lower bound other than 1"),
                        rel.span,
                        "Kùzu computes shortest paths from length 1: use -[*1..n]-",
                    ));
                }
            }
            len.exact = false;
            len.shortest = Some(kind);
            rel.length = Some(len);
        }
        let el = &mut pp.element;
        self.node(&mut el.start, extra)?;
        for (rel, node) in &mut el.chain {
            self.rel(rel, extra)?;
            self.node(node, extra)?;
        }
        Ok(())
    }

    fn node(&mut self, n: &mut NodePattern, extra: &mut Vec<Expr>) -> Result<(), Unsupported> {
        if let Some(props) = &mut n.properties {
            if matches!(props.kind, ExprKind::Parameter(_)) {
                return Err(unsupported(
                    "a parameter as a property map in a pattern",
                    props.span,
                    "write the properties out: (n {name: $name})",
                ));
            }
            self.expr(props)?;
        }
        let labels = n.labels.take();
        self.drop_unknown_keys(false, labels.as_ref(), &mut n.properties, extra, n.span);
        let labels = self.known_tables(false, labels, extra, n.span);
        if let Some(labels) = labels {
            match kuzu_labels(&labels) {
                Some(l) => n.labels = Some(l),
                None => {
                    let var = n.variable.get_or_insert_with(|| {
                        self.fresh += 1;
                        Ident {
                            name: format!("_gq{}", self.fresh),
                            span: n.span,
                        }
                    });
                    let target = Expr::new(ExprKind::Variable(var.clone()), n.span);
                    extra.push(expr::label_predicate(target, &labels, n.span));
                }
            }
        }
        if let Some(mut w) = n.where_.take() {
            self.expr(&mut w)?;
            extra.push(w);
        }
        Ok(())
    }

    /// Relationship uniqueness, as openCypher defines a `MATCH`: the engine matches walks (a
    /// relationship may repeat), Cypher matches trails. A variable-length relationship alone
    /// gets `is_trail(r)`, each pair of fixed relationships of possibly the same type
    /// `id(r1) <> id(r2)` (into `pairs`, which the caller applies after the `MATCH`); a clause
    /// with a variable-length relationship and any other names its patterns and checks the ids
    /// of all their relationships distinct (a fixed relationship may not recur inside the
    /// variable-length one, nor two variable-length ones share one).
    fn unique_relationships(
        &mut self,
        patterns: &mut [PathPattern],
        extra: &mut Vec<Expr>,
        pairs_distinct: &mut Vec<Expr>,
    ) {
        let counted = |p: &&mut PathPattern| {
            p.shortest.is_none()
                && !p.element.chain.is_empty()
                && p.element
                    .chain
                    .iter()
                    .all(|(r, _)| r.length.as_ref().is_none_or(|l| l.shortest.is_none()))
        };
        let rel_count: usize = patterns
            .iter_mut()
            .filter(counted)
            .map(|p| p.element.chain.len())
            .sum();
        let var_length = patterns
            .iter_mut()
            .filter(counted)
            .any(|p| p.element.chain.iter().any(|(r, _)| r.length.is_some()));
        if var_length && rel_count >= 2 {
            let mut ids = Vec::new();
            for p in patterns.iter_mut().filter(counted) {
                let span = p.span;
                let v = p
                    .variable
                    .get_or_insert_with(|| self.fresh_variable(span))
                    .clone();
                let x = self.fresh_variable(span);
                let id = expr::call("id", vec![tree::variable(&x)], span);
                let lambda = Expr::new(ExprKind::Lambda(vec![x], Box::new(id)), span);
                let rels = expr::call("rels", vec![tree::variable(&v)], span);
                ids.push(expr::call("list_transform", vec![rels, lambda], span));
            }
            let span = patterns[0].span;
            let all = ids
                .into_iter()
                .reduce(|a, b| expr::call("list_concat", vec![a, b], span))
                .expect("counted patterns");
            let distinct = expr::call("list_distinct", vec![all.clone()], span);
            let size = |l| expr::call("size", vec![l], span);
            extra.push(tree::binary(BinaryOp::Eq, size(distinct), size(all)));
            return;
        }
        let mut rels: Vec<&mut RelPattern> = patterns
            .iter_mut()
            .filter(|p| p.shortest.is_none())
            .flat_map(|p| p.element.chain.iter_mut().map(|(r, _)| r))
            .filter(|r| r.length.as_ref().is_none_or(|l| l.shortest.is_none()))
            .collect();
        let fixed: Vec<usize> = (0..rels.len())
            .filter(|&i| rels[i].length.is_none())
            .collect();
        let mut pairs = Vec::new();
        for (k, &i) in fixed.iter().enumerate() {
            for &j in &fixed[k + 1..] {
                if may_bind_same_relationship(rels[i], rels[j]) {
                    pairs.push((i, j));
                }
            }
        }
        let variable = |r: &mut RelPattern, this: &mut Self| -> Expr {
            let span = r.span;
            let v = r
                .variable
                .get_or_insert_with(|| this.fresh_variable(span))
                .clone();
            Expr::new(ExprKind::Variable(v), span)
        };
        for r in rels.iter_mut().filter(|r| r.length.is_some()) {
            let span = r.span;
            let v = variable(r, self);
            extra.push(expr::call("is_trail", vec![v], span));
        }
        for (i, j) in pairs {
            let span = rels[i].span;
            let a = expr::call("id", vec![variable(rels[i], self)], span);
            let b = expr::call("id", vec![variable(rels[j], self)], span);
            pairs_distinct.push(Expr::new(
                ExprKind::Binary(BinaryOp::Ne, Box::new(a), Box::new(b)),
                span,
            ));
        }
    }

    fn rel(&mut self, r: &mut RelPattern, extra: &mut Vec<Expr>) -> Result<(), Unsupported> {
        r.bracketed = true;
        let var_length = r.length.is_some();
        if var_length && (r.where_.is_some() || r.properties.is_some()) {
            return Err(unsupported(
                "a property map or WHERE on a variable-length relationship",
                r.span,
                "filter inside the relationship with Kùzu's form -[e:R*1..3 (r, n | WHERE r.p = 1)]-, or filter with all(x IN relationships(p) WHERE …)",
            ));
        }
        if let Some(props) = &mut r.properties {
            if matches!(props.kind, ExprKind::Parameter(_)) {
                return Err(unsupported(
                    "a parameter as a property map in a pattern",
                    props.span,
                    "write the properties out: -[r {since: $since}]-",
                ));
            }
            self.expr(props)?;
        }
        let types = r.types.take();
        if !var_length {
            self.drop_unknown_keys(true, types.as_ref(), &mut r.properties, extra, r.span);
        }
        let types = self.known_tables(true, types, extra, r.span);
        if let Some(types) = types {
            match kuzu_rel_types(&types) {
                Some(t) => r.types = Some(t),
                None if var_length => {
                    return Err(unsupported(
                        "a relationship-type expression on a variable-length relationship",
                        r.span,
                        "list the types as alternatives: -[:A|:B*1..3]-",
                    ));
                }
                None => {
                    let span = r.span;
                    let var = match &r.variable {
                        Some(v) => v.clone(),
                        None => {
                            let v = self.fresh_variable(span);
                            r.variable = Some(v.clone());
                            v
                        }
                    };
                    extra.push(expr::label_predicate(
                        Expr::new(ExprKind::Variable(var), span),
                        &types,
                        span,
                    ));
                }
            }
        }
        if let Some(mut w) = r.where_.take() {
            self.expr(&mut w)?;
            extra.push(w);
        }
        Ok(())
    }
}

/// The label (or type) names a label expression allows, when it is a plain name or a
/// disjunction of names.
fn label_names(l: &LabelExpr) -> Option<Vec<String>> {
    match l {
        LabelExpr::Name(n) => Some(vec![n.name.clone()]),
        LabelExpr::Or(parts) => parts
            .iter()
            .map(|p| match p {
                LabelExpr::Name(n) => Some(n.name.clone()),
                _ => None,
            })
            .collect(),
        LabelExpr::And(parts) => match parts.as_slice() {
            [LabelExpr::Name(first), rest @ ..]
                if rest
                    .iter()
                    .all(|p| matches!(p, LabelExpr::Name(n) if n.name == first.name)) =>
            {
                Some(vec![first.name.clone()])
            }
            _ => None,
        },
        _ => None,
    }
}

/// Node labels Kùzu can match in the pattern itself: one name, or alternatives (printed `:A:B`).
fn kuzu_labels(l: &LabelExpr) -> Option<LabelExpr> {
    match l {
        LabelExpr::Name(_) => Some(l.clone()),
        LabelExpr::Or(parts) if parts.iter().all(|p| matches!(p, LabelExpr::Name(_))) => {
            Some(l.clone())
        }
        // `:A:A` is `:A`; `:A:B` (both labels) never matches a single-label node: WHERE handles it.
        LabelExpr::And(parts) => match parts.as_slice() {
            [LabelExpr::Name(first), rest @ ..]
                if rest
                    .iter()
                    .all(|p| matches!(p, LabelExpr::Name(n) if n.name == first.name)) =>
            {
                Some(LabelExpr::Name(first.clone()))
            }
            _ => None,
        },
        _ => None,
    }
}

fn kuzu_rel_types(l: &LabelExpr) -> Option<LabelExpr> {
    kuzu_labels(l)
}
