//! Kùzu expression rewrites: functions, list indexing (Kùzu lists are 1-based), label
//! predicates, comprehensions (lambdas), pattern predicates and subqueries.

pub(super) use super::super::tree::call;
use super::super::tree::{and_all, binary};
use super::{Binding, Rewriter, unsupported};
use crate::ast::*;
use crate::error::Unsupported;
use crate::schema::ValueType;

/// Functions whose name and meaning are the same in Neo4j's Cypher and Kùzu, plus Kùzu's own
/// functions analysts may call directly (from Kùzu's function reference).
const NATIVE: &[&str] = &[
    // aggregates
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "collect",
    "count_if",
    // scalar / predicate
    "coalesce",
    "id",
    "size",
    "length",
    "nodes",
    "rels",
    "range",
    "nullif",
    "ifnull",
    "typeof",
    "label",
    // numeric
    "abs",
    "ceil",
    "ceiling",
    "floor",
    "round",
    "sqrt",
    "sign",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "atan2",
    "cot",
    "degrees",
    "radians",
    "pi",
    "ln",
    "log10",
    "log2",
    "pow",
    "even",
    "factorial",
    "gamma",
    "lgamma",
    "negate",
    "bitwise_xor",
    // strings
    "trim",
    "ltrim",
    "rtrim",
    "left",
    "right",
    "upper",
    "lower",
    "ucase",
    "lcase",
    "reverse",
    "concat",
    "concat_ws",
    "contains",
    "starts_with",
    "ends_with",
    "prefix",
    "suffix",
    "lpad",
    "rpad",
    "repeat",
    "initcap",
    "levenshtein",
    "string_split",
    "split_part",
    "substr",
    "array_extract",
    "array_slice",
    "regexp_matches",
    "regexp_replace",
    "regexp_extract",
    "regexp_extract_all",
    "regexp_split_to_array",
    "md5",
    "sha256",
    "hash",
    // lists
    "list_creation",
    "list_extract",
    "list_element",
    "list_concat",
    "list_cat",
    "list_append",
    "list_prepend",
    "list_position",
    "list_indexof",
    "list_contains",
    "list_has",
    "list_has_all",
    "list_slice",
    "list_reverse",
    "list_sort",
    "list_reverse_sort",
    "list_sum",
    "list_product",
    "list_distinct",
    "list_unique",
    "list_any_value",
    "list_to_string",
    "list_transform",
    "list_filter",
    "list_reduce",
    "array_concat",
    "array_cat",
    "array_append",
    "array_prepend",
    "array_position",
    "array_contains",
    "array_has",
    // maps, structs, temporal, misc
    "map",
    "map_extract",
    "element_at",
    "cardinality",
    "map_keys",
    "map_values",
    "struct_extract",
    "date",
    "timestamp",
    "interval",
    "current_date",
    "current_timestamp",
    "date_part",
    "datepart",
    "date_trunc",
    "datetrunc",
    "dayname",
    "monthname",
    "last_day",
    "make_date",
    "greatest",
    "least",
    "century",
    "epoch_ms",
    "to_epoch_ms",
    "to_timestamp",
    "is_trail",
    "is_acyclic",
    "cost",
    "offset",
    "gen_random_uuid",
    "uuid",
    "cast",
];

fn int(n: i64, span: Span) -> Expr {
    Expr::new(ExprKind::Literal(Literal::Int(n.to_string())), span)
}

fn null(span: Span) -> Expr {
    Expr::new(ExprKind::Literal(Literal::Null), span)
}

fn string(s: &str, span: Span) -> Expr {
    Expr::new(ExprKind::Literal(Literal::Str(s.into())), span)
}

fn cast(e: Expr, ty: &str) -> Expr {
    let span = e.span;
    Expr::new(ExprKind::Cast(Box::new(e), ty.into()), span)
}

/// `CASE WHEN cond THEN then [ELSE otherwise] END`.
fn case(whens: Vec<(Expr, Expr)>, otherwise: Option<Expr>, span: Span) -> Expr {
    Expr::new(
        ExprKind::Case {
            subject: None,
            whens,
            else_: otherwise.map(Box::new),
        },
        span,
    )
}

/// Kùzu evaluates every `CASE` branch, so guards go *inside* the failing call: its argument
/// becomes null (and the call yields null) where it would fail.
fn only_if(cond: Expr, value: Expr) -> Expr {
    let span = value.span;
    case(vec![(cond, value)], None, span)
}

/// `regexp_full_match(s, re)`.
fn full_match(s: Expr, re: &str) -> Expr {
    let span = s.span;
    call("regexp_full_match", vec![s, string(re, span)], span)
}

/// An integer as Neo4j's `toInteger` accepts it (surrounding blanks allowed).
const INT_RE: &str = r"\s*[+-]?\d+\s*";
/// A number as Neo4j's `toFloat` accepts it.
const NUM_RE: &str = r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*";

/// Element `k` (Kùzu 1-based; negative from the end) of `l`, or null when out of range (Neo4j)
/// instead of Kùzu's runtime error: the list is replaced by null where `k` is out of range.
fn safe_extract(l: Expr, k: Expr) -> Expr {
    let span = l.span;
    let size = || call("size", vec![l.clone()], span);
    let guard = match int_literal(&k) {
        Some(v) => binary(BinaryOp::Ge, size(), int(v.abs(), span)),
        None => binary(
            BinaryOp::Eq,
            call(
                "size",
                vec![call(
                    "list_slice",
                    vec![l.clone(), k.clone(), k.clone()],
                    span,
                )],
                span,
            ),
            int(1, span),
        ),
    };
    call("list_extract", vec![only_if(guard, l), k], span)
}

/// Escapes every regular-expression metacharacter of a literal text.
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\^$.|?*+()[]{}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn int_literal(e: &Expr) -> Option<i64> {
    match &e.kind {
        ExprKind::Literal(Literal::Int(s)) => s.replace('_', "").parse().ok(),
        ExprKind::Unary(UnaryOp::Neg, inner) => int_literal(inner).map(|v| -v),
        _ => None,
    }
}

/// A Neo4j 0-based index (negative counts from the end) as a Kùzu 1-based one.
fn one_based(i: Expr) -> Expr {
    let span = i.span;
    match int_literal(&i) {
        Some(v) if v >= 0 => int(v + 1, span),
        Some(_) => i,
        None => {
            let cond = binary(BinaryOp::Ge, i.clone(), int(0, span));
            let then = binary(BinaryOp::Add, i.clone(), int(1, span));
            Expr::new(
                ExprKind::Case {
                    subject: None,
                    whens: vec![(cond, then)],
                    else_: Some(Box::new(i)),
                },
                span,
            )
        }
    }
}

/// A Neo4j exclusive slice end (negative counts from the end) as a Kùzu inclusive 1-based one.
fn inclusive_end(i: Expr) -> Expr {
    let span = i.span;
    match int_literal(&i) {
        Some(v) if v >= 0 => i,
        Some(v) => int(v - 1, span),
        None => {
            let cond = binary(BinaryOp::Ge, i.clone(), int(0, span));
            let otherwise = binary(BinaryOp::Sub, i.clone(), int(1, span));
            Expr::new(
                ExprKind::Case {
                    subject: None,
                    whens: vec![(cond, i)],
                    else_: Some(Box::new(otherwise)),
                },
                span,
            )
        }
    }
}

/// `label(x) = 'A'` (and `AND` / `OR` / `NOT` for label expressions).
pub(super) fn label_predicate(target: Expr, labels: &LabelExpr, span: Span) -> Expr {
    let label_of = || call("label", vec![target.clone()], span);
    let combine = |op: BinaryOp, parts: &[LabelExpr]| {
        let mut it = parts
            .iter()
            .map(|p| label_predicate(target.clone(), p, span));
        let first = it
            .next()
            .unwrap_or_else(|| Expr::new(ExprKind::Literal(Literal::Bool(true)), span));
        it.fold(first, |acc, e| binary(op, acc, e))
    };
    match labels {
        LabelExpr::Name(n) => binary(
            BinaryOp::Eq,
            label_of(),
            Expr::new(ExprKind::Literal(Literal::Str(n.name.clone())), span),
        ),
        LabelExpr::Or(parts) if parts.iter().all(|p| matches!(p, LabelExpr::Name(_))) => {
            let names = parts
                .iter()
                .filter_map(|p| match p {
                    LabelExpr::Name(n) => Some(Expr::new(
                        ExprKind::Literal(Literal::Str(n.name.clone())),
                        span,
                    )),
                    _ => None,
                })
                .collect();
            binary(
                BinaryOp::In,
                label_of(),
                Expr::new(ExprKind::List(names), span),
            )
        }
        LabelExpr::Or(parts) => combine(BinaryOp::Or, parts),
        LabelExpr::And(parts) => combine(BinaryOp::And, parts),
        LabelExpr::Not(inner) => Expr::new(
            ExprKind::Unary(
                UnaryOp::Not,
                Box::new(label_predicate(target.clone(), inner, span)),
            ),
            span,
        ),
        LabelExpr::Wildcard => Expr::new(ExprKind::IsNull(Box::new(label_of()), true), span),
    }
}

impl Rewriter<'_> {
    /// Rewrites an expression bottom-up.
    pub(super) fn expr(&mut self, e: &mut Expr) -> Result<(), Unsupported> {
        count_pattern_comprehension(e);
        self.children(e)?;
        self.node_expr(e)
    }

    /// Rewrites one node whose children are already rewritten. Kept out of line so the
    /// recursion through [`Self::expr`] and [`Self::children`] stays cheap in stack.
    #[inline(never)]
    fn node_expr(&mut self, e: &mut Expr) -> Result<(), Unsupported> {
        let span = e.span;
        let kind = std::mem::replace(&mut e.kind, ExprKind::Literal(Literal::Null));
        e.kind = match kind {
            ExprKind::HasLabels(target, labels) => label_predicate(*target, &labels, span).kind,
            // `x IN null` is null in Cypher; the engine's `list_contains` over an untyped null
            // list aborts the whole process (ryugraph 25.9.2), so it never reaches the engine —
            // also where the null comes through a variable (`WITH null AS l … x IN l`).
            ExprKind::Binary(BinaryOp::In, _, list) if is_untyped_null(self, &list) => {
                ExprKind::Literal(Literal::Null)
            }
            ExprKind::Function {
                name,
                distinct,
                args,
            } => self.function(name, distinct, args, span)?.kind,
            ExprKind::Index(base, index) => match (&base.kind, &index.kind) {
                (_, ExprKind::Literal(Literal::Str(key))) => {
                    let key = Ident {
                        name: key.clone(),
                        span: index.span,
                    };
                    self.property(*base, key, span).kind
                }
                // `labels(n)[0]` became `[label(n)][0]`: that is `label(n)`.
                (ExprKind::List(items), _)
                    if items.len() == 1 && int_literal(&index) == Some(0) =>
                {
                    let ExprKind::List(mut items) = base.kind else {
                        unreachable!()
                    };
                    items.remove(0).kind
                }
                _ => safe_extract(*base, one_based(*index)).kind,
            },
            ExprKind::Property(base, key) => self.property(*base, key, span).kind,
            ExprKind::Slice(base, from, to) => {
                let from = from.map_or_else(|| int(1, span), |f| one_based(*f));
                let to = match to {
                    Some(t) => inclusive_end(*t),
                    None => call("size", vec![(*base).clone()], span),
                };
                call("list_slice", vec![*base, from, to], span).kind
            }
            ExprKind::Binary(BinaryOp::Pow, a, b) => call("pow", vec![*a, *b], span).kind,
            // Neo4j concatenates a string and a number with `+`; Kùzu has no such `+`.
            ExprKind::Binary(BinaryOp::Add, a, b)
                if matches!(
                    (self.static_type(&a), self.static_type(&b)),
                    (
                        Some(ValueType::String),
                        Some(ValueType::Integer | ValueType::Float | ValueType::Boolean)
                    ) | (
                        Some(ValueType::Integer | ValueType::Float | ValueType::Boolean),
                        Some(ValueType::String)
                    )
                ) =>
            {
                let (ta, tb) = (self.static_type(&a), self.static_type(&b));
                call("concat", vec![to_string(ta, *a), to_string(tb, *b)], span).kind
            }
            ExprKind::ListComprehension {
                variable,
                list,
                filter,
                map,
            } => {
                let mut out = *list;
                if let Some(f) = filter {
                    out = call(
                        "list_filter",
                        vec![
                            out,
                            Expr::new(ExprKind::Lambda(vec![variable.clone()], f), span),
                        ],
                        span,
                    );
                }
                if let Some(m) = map {
                    out = call(
                        "list_transform",
                        vec![out, Expr::new(ExprKind::Lambda(vec![variable], m), span)],
                        span,
                    );
                }
                out.kind
            }
            ExprKind::Reduce {
                accumulator,
                init,
                variable,
                list,
                expr,
            } => {
                let seeded = call("list_prepend", vec![*list, *init], span);
                let lambda = Expr::new(ExprKind::Lambda(vec![accumulator, variable], expr), span);
                call("list_reduce", vec![seeded, lambda], span).kind
            }
            ExprKind::PatternComprehension { .. } => {
                return Err(unsupported(
                    "pattern comprehension here",
                    span,
                    "use it as a RETURN/WITH item after MATCH clauses, inside size(), or write OPTIONAL MATCH … WITH n, collect(…) AS xs",
                ));
            }
            ExprKind::CollectSubquery(_) => {
                return Err(unsupported(
                    "COLLECT { … } subquery",
                    span,
                    "use OPTIONAL MATCH … WITH n, collect(…) AS xs",
                ));
            }
            ExprKind::Pattern(el) => {
                let pp = PathPattern {
                    variable: None,
                    shortest: None,
                    element: *el,
                    span,
                };
                ExprKind::Exists(self.kuzu_subquery(vec![pp], None, span)?)
            }
            ExprKind::Exists(body) => ExprKind::Exists(self.subquery_body(body, span, "EXISTS")?),
            ExprKind::CountSubquery(body) => {
                ExprKind::CountSubquery(self.subquery_body(body, span, "COUNT")?)
            }
            ExprKind::MapProjection(var, items) => {
                let base = || Expr::new(ExprKind::Variable(var.clone()), var.span);
                let mut entries = Vec::new();
                for item in items {
                    match item {
                        MapProjectionItem::Property(k) => entries.push((
                            k.clone(),
                            Expr::new(ExprKind::Property(Box::new(base()), k), span),
                        )),
                        MapProjectionItem::Literal(k, v) => entries.push((k, v)),
                        MapProjectionItem::Variable(v) => {
                            entries.push((v.clone(), Expr::new(ExprKind::Variable(v), span)))
                        }
                        MapProjectionItem::AllProperties => {
                            return Err(unsupported(
                                "map projection with .*",
                                span,
                                "list the properties: n {.name, .age}",
                            ));
                        }
                    }
                }
                ExprKind::Map(entries)
            }
            other => other,
        };
        Ok(())
    }

    #[inline(never)]
    fn children(&mut self, e: &mut Expr) -> Result<(), Unsupported> {
        match &mut e.kind {
            ExprKind::Literal(_)
            | ExprKind::Parameter(_)
            | ExprKind::Variable(_)
            | ExprKind::CountStar => {}
            ExprKind::Property(b, _)
            | ExprKind::HasLabels(b, _)
            | ExprKind::Unary(_, b)
            | ExprKind::IsNull(b, _) => self.expr(b)?,
            ExprKind::Cast(b, _) => self.expr(b)?,
            ExprKind::Lambda(params, b) => {
                let before = self.scope.len();
                for p in params.iter() {
                    self.bind(&p.name, Binding::Value(None));
                }
                self.expr(b)?;
                self.scope.truncate(before);
            }
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
                self.expr(a)?;
                self.expr(b)?;
            }
            ExprKind::Slice(b, from, to) => {
                self.expr(b)?;
                for x in from.iter_mut().chain(to.iter_mut()) {
                    self.expr(x)?;
                }
            }
            ExprKind::List(items) | ExprKind::Function { args: items, .. } => {
                for x in items {
                    self.expr(x)?;
                }
            }
            ExprKind::Map(entries) => {
                for (_, v) in entries {
                    self.expr(v)?;
                }
            }
            ExprKind::MapProjection(_, items) => {
                for item in items {
                    if let MapProjectionItem::Literal(_, v) = item {
                        self.expr(v)?;
                    }
                }
            }
            ExprKind::Case {
                subject,
                whens,
                else_,
            } => {
                for x in subject.iter_mut().chain(else_.iter_mut()) {
                    self.expr(x)?;
                }
                for (a, b) in whens {
                    self.expr(a)?;
                    self.expr(b)?;
                }
            }
            ExprKind::ListComprehension {
                variable,
                list,
                filter,
                map,
            } => {
                self.expr(list)?;
                self.bind(&variable.name, Binding::Value(None));
                for x in filter.iter_mut().chain(map.iter_mut()) {
                    self.expr(x)?;
                }
                self.scope.pop();
            }
            ExprKind::Quantified {
                variable,
                list,
                predicate,
                ..
            } => {
                self.expr(list)?;
                self.bind(&variable.name, Binding::Value(None));
                self.expr(predicate)?;
                self.scope.pop();
            }
            ExprKind::Reduce {
                accumulator,
                init,
                variable,
                list,
                expr,
            } => {
                self.expr(init)?;
                self.expr(list)?;
                self.bind(&accumulator.name, Binding::Value(None));
                self.bind(&variable.name, Binding::Value(None));
                self.expr(expr)?;
                self.scope.truncate(self.scope.len() - 2);
            }
            // Patterns and subqueries are rewritten as a whole by `expr`.
            ExprKind::PatternComprehension { .. }
            | ExprKind::Pattern(_)
            | ExprKind::Exists(_)
            | ExprKind::CountSubquery(_)
            | ExprKind::CollectSubquery(_) => {}
        }
        Ok(())
    }

    /// Kùzu subqueries hold a single `MATCH` with an optional `WHERE`.
    fn subquery_body(
        &mut self,
        body: SubqueryBody,
        span: Span,
        keyword: &str,
    ) -> Result<SubqueryBody, Unsupported> {
        match body {
            SubqueryBody::Pattern { patterns, where_ } => {
                self.kuzu_subquery(patterns, where_.map(|w| *w), span)
            }
            SubqueryBody::Query(q) => {
                let shape = || {
                    unsupported(
                        format!("{keyword} {{ … }} with clauses other than MATCH … WHERE …"),
                        span,
                        format!("{keyword} {{ MATCH (a)-[:R]->(b) WHERE … }}"),
                    )
                };
                if !q.unions.is_empty() {
                    return Err(shape());
                }
                let mut patterns = Vec::new();
                let mut predicates = Vec::new();
                let clauses = q.first.clauses;
                let last = clauses.len().saturating_sub(1);
                for (i, clause) in clauses.into_iter().enumerate() {
                    match clause.kind {
                        ClauseKind::Match {
                            optional: false,
                            patterns: ps,
                            where_,
                        } => {
                            patterns.extend(ps);
                            predicates.extend(where_);
                        }
                        // A final plain RETURN does not change whether or how many rows match.
                        ClauseKind::Return(p)
                            if i == last
                                && i > 0
                                && !p.distinct
                                && p.order_by.is_empty()
                                && p.skip.is_none()
                                && p.limit.is_none() => {}
                        _ => return Err(shape()),
                    }
                }
                let where_ = and_all(None, predicates);
                self.kuzu_subquery(patterns, where_, span)
            }
        }
    }

    fn kuzu_subquery(
        &mut self,
        mut patterns: Vec<PathPattern>,
        where_: Option<Expr>,
        span: Span,
    ) -> Result<SubqueryBody, Unsupported> {
        let outer = self.scope.clone();
        for p in &patterns {
            self.bind_pattern(p);
        }
        let body = self.kuzu_subquery_in_scope(&mut patterns, where_, span);
        self.scope = outer;
        body
    }

    fn kuzu_subquery_in_scope(
        &mut self,
        patterns: &mut Vec<PathPattern>,
        where_: Option<Expr>,
        span: Span,
    ) -> Result<SubqueryBody, Unsupported> {
        let patterns = std::mem::take(patterns);
        let mut patterns = patterns;
        let mut extra = Vec::new();
        for p in &mut patterns {
            self.path_pattern(p, &mut extra)?;
        }
        let mut where_ = where_;
        if let Some(w) = &mut where_ {
            self.expr(w)?;
        }
        let where_ = and_all(where_, extra);
        let clause = Clause {
            kind: ClauseKind::Match {
                optional: false,
                patterns,
                where_,
            },
            span,
        };
        let single = SingleQuery {
            clauses: vec![clause],
            span,
        };
        Ok(SubqueryBody::Query(Box::new(RegularQuery {
            first: single,
            unions: vec![],
            span,
        })))
    }

    fn function(
        &mut self,
        name: Vec<Ident>,
        distinct: bool,
        mut args: Vec<Expr>,
        span: Span,
    ) -> Result<Expr, Unsupported> {
        let written = name
            .iter()
            .map(|i| i.name.as_str())
            .collect::<Vec<_>>()
            .join(".");
        if name.len() > 1 {
            return Err(unsupported(
                format!("function {written}()"),
                span,
                "plugin functions (apoc, gds, …) are not available; use built-in functions",
            ));
        }
        let lower = written.to_ascii_lowercase();
        let arity = args.len();
        let renamed = |to: &str, args: Vec<Expr>| {
            Ok(Expr::new(
                ExprKind::Function {
                    name: vec![Ident {
                        name: to.into(),
                        span,
                    }],
                    distinct,
                    args,
                },
                span,
            ))
        };
        let one_arg = |args: Vec<Expr>| -> Result<Expr, Unsupported> {
            <[Expr; 1]>::try_from(args).map(|[a]| a).map_err(|_| {
                unsupported(
                    format!("{written}() with {arity} arguments"),
                    span,
                    format!("{written}(x)"),
                )
            })
        };
        match (lower.as_str(), arity) {
            ("type", 1) => renamed("label", args),
            ("labels", 1) => Ok(Expr::new(
                ExprKind::List(vec![call("label", args, span)]),
                span,
            )),
            ("head", 1) => Ok(safe_extract(args.remove(0), int(1, span))),
            ("last", 1) => Ok(safe_extract(args.remove(0), int(-1, span))),
            ("tail", 1) => {
                let l = args.remove(0);
                Ok(call(
                    "list_slice",
                    vec![l.clone(), int(2, span), call("size", vec![l], span)],
                    span,
                ))
            }
            ("split", 2) => renamed("string_split", args),
            // Kùzu's reverse() takes a string (a list is silently cast to its text).
            ("reverse", 1) if self.static_type(&args[0]).as_ref().is_some_and(is_list) => {
                renamed("list_reverse", args)
            }
            ("tointeger", _) => {
                let x = one_arg(args)?;
                Ok(to_integer(self.static_type(&x), x))
            }
            ("tofloat", _) => {
                let x = one_arg(args)?;
                Ok(to_float(self.static_type(&x), x))
            }
            ("tostring", _) => {
                let x = one_arg(args)?;
                Ok(to_string(self.static_type(&x), x))
            }
            ("toboolean", _) => {
                let x = one_arg(args)?;
                Ok(to_boolean(self.static_type(&x), x))
            }
            ("elementid", 1) => Ok(cast(call("id", args, span), "STRING")),
            ("collect", 1) => {
                // Kùzu's collect() of no (or only null) values is null; Neo4j's is [].
                let collected = renamed("collect", args)?;
                Ok(call(
                    "coalesce",
                    vec![collected, Expr::new(ExprKind::List(vec![]), span)],
                    span,
                ))
            }
            ("coalesce", _) => Ok(self.coalesce(args, span)),
            ("replace", 3) => {
                let (s, search, replacement) = (args.remove(0), args.remove(0), args.remove(0));
                let pattern = match &search.kind {
                    ExprKind::Literal(Literal::Str(t)) => string(&regex_escape(t), search.span),
                    _ => call(
                        "regexp_replace",
                        vec![
                            search,
                            string(r"([\\^$.|?*+()\[\]{}])", span),
                            string(r"\\\1", span),
                            string("g", span),
                        ],
                        span,
                    ),
                };
                let replacement = match &replacement.kind {
                    ExprKind::Literal(Literal::Str(t)) => {
                        string(&t.replace('\\', r"\\"), replacement.span)
                    }
                    _ => call(
                        "regexp_replace",
                        vec![
                            replacement,
                            string(r"\\", span),
                            string(r"\\\\", span),
                            string("g", span),
                        ],
                        span,
                    ),
                };
                Ok(call(
                    "regexp_replace",
                    vec![s, pattern, replacement, string("g", span)],
                    span,
                ))
            }
            // Kùzu's random() is k / (2^32 - 1) for a 32-bit k, so 1.0 is possible; Neo4j's
            // rand() is in [0, 1): the same grid scaled by (2^32 - 1) / 2^32 stays below 1.
            ("rand", 0) => {
                let float = |v: &str| Expr::new(ExprKind::Literal(Literal::Float(v.into())), span);
                let scaled = Expr::new(
                    ExprKind::Binary(
                        BinaryOp::Mul,
                        Box::new(call("random", vec![], span)),
                        Box::new(float("4294967295.0")),
                    ),
                    span,
                );
                Ok(Expr::new(
                    ExprKind::Binary(
                        BinaryOp::Div,
                        Box::new(scaled),
                        Box::new(float("4294967296.0")),
                    ),
                    span,
                ))
            }
            ("tolower", 1) => renamed("lower", args),
            ("toupper", 1) => renamed("upper", args),
            ("log", 1) => renamed("ln", args),
            ("relationships", 1) => renamed("rels", args),
            ("substring", 2 | 3) => {
                let s = args.remove(0);
                let start = one_based(args.remove(0));
                let len = if args.is_empty() {
                    call("size", vec![s.clone()], span)
                } else {
                    args.remove(0)
                };
                Ok(call("substring", vec![s, start, len], span))
            }
            ("date", 0) => renamed("current_date", args),
            ("datetime" | "localdatetime", 0) => renamed("current_timestamp", args),
            ("datetime" | "localdatetime", 1)
                if matches!(
                    args[0].kind,
                    ExprKind::Literal(Literal::Str(_)) | ExprKind::Parameter(_)
                ) =>
            {
                renamed("timestamp", args)
            }
            ("date", 1)
                if matches!(
                    args[0].kind,
                    ExprKind::Literal(Literal::Str(_)) | ExprKind::Parameter(_)
                ) =>
            {
                renamed("date", args)
            }
            ("date", 1) => match &args[0].kind {
                ExprKind::Map(entries) if entries.len() == 3 => {
                    let get = |k: &str| {
                        entries
                            .iter()
                            .find(|(key, _)| key.name.eq_ignore_ascii_case(k))
                            .map(|(_, v)| v.clone())
                    };
                    match (get("year"), get("month"), get("day")) {
                        (Some(y), Some(m), Some(d)) => Ok(call("make_date", vec![y, m, d], span)),
                        _ => Err(unsupported(
                            "date() from this map",
                            span,
                            "date({year: y, month: m, day: d}) or date('2024-01-31')",
                        )),
                    }
                }
                _ => Err(unsupported(
                    "date() of a non-literal value",
                    span,
                    "date('2024-01-31') or date({year: y, month: m, day: d})",
                )),
            },
            ("timestamp", 0) => Ok(call(
                "to_epoch_ms",
                vec![call("current_timestamp", vec![], span)],
                span,
            )),
            ("exists", 1) => match args.remove(0) {
                e @ Expr {
                    kind: ExprKind::Property(..),
                    ..
                } => Ok(Expr::new(ExprKind::IsNull(Box::new(e), true), span)),
                e @ Expr {
                    kind: ExprKind::Exists(_),
                    ..
                } => Ok(e),
                other => Err(unsupported(
                    "exists() of this argument",
                    other.span,
                    "n.prop IS NOT NULL or EXISTS { MATCH … }",
                )),
            },
            ("size", 1) if matches!(args[0].kind, ExprKind::Exists(_)) => {
                // `size((a)-->())` (a pattern, already turned into EXISTS { … }) counts matches.
                let ExprKind::Exists(body) = args.remove(0).kind else {
                    unreachable!()
                };
                Ok(Expr::new(ExprKind::CountSubquery(body), span))
            }
            ("properties", 1) | ("keys", 1) => Err(unsupported(
                format!("{written}()"),
                span,
                "name the properties: RETURN n.name, n.age",
            )),
            ("startnode" | "endnode", _) => Err(unsupported(
                format!("{written}()"),
                span,
                "bind the end nodes in the pattern: MATCH (a)-[r]->(b)",
            )),
            ("stdev" | "stdevp" | "percentilecont" | "percentiledisc", _) => Err(unsupported(
                format!("aggregate {written}()"),
                span,
                "compute it from collect() in the notebook, or from sum/avg/count: sqrt(avg(x * x) - avg(x) ^ 2) for stDevP",
            )),
            (n, _) if NATIVE.contains(&n) => renamed(&written, args),
            _ => Err(unsupported(
                format!("function {written}()"),
                span,
                "see the compatibility table in crates/cypher/README.md for the functions available",
            )),
        }
    }
}

/// `size([pattern | …])` counts the pattern's matches: it becomes `COUNT { pattern WHERE … }`
/// before the comprehension itself is looked at.
fn count_pattern_comprehension(e: &mut Expr) {
    let ExprKind::Function { name, args, .. } = &mut e.kind else {
        return;
    };
    if !(name.len() == 1 && name[0].name.eq_ignore_ascii_case("size") && args.len() == 1) {
        return;
    }
    let span = args[0].span;
    let ExprKind::PatternComprehension {
        variable,
        pattern,
        filter,
        ..
    } = &mut args[0].kind
    else {
        return;
    };
    let element = std::mem::replace(
        &mut **pattern,
        PatternElement {
            start: NodePattern {
                variable: None,
                labels: None,
                properties: None,
                where_: None,
                span,
            },
            chain: vec![],
        },
    );
    let pp = PathPattern {
        variable: variable.take(),
        shortest: None,
        element,
        span,
    };
    e.kind = ExprKind::CountSubquery(SubqueryBody::Pattern {
        patterns: vec![pp],
        where_: filter.take(),
    });
}

fn list_type() -> ValueType {
    ValueType::Other("LIST".into())
}

/// The engine's type of a bare `null` (Kùzu's `ANY`): what a variable bound to `null` holds.
pub(super) fn untyped_null() -> ValueType {
    ValueType::Other("ANY".into())
}

/// Whether `e` is `null` without a type: the literal, or a variable bound to it.
fn is_untyped_null(rewriter: &Rewriter, e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Literal(Literal::Null))
        || rewriter.static_type(e) == Some(untyped_null())
}

/// Whether a type is a list (`LIST`, `STRING[]`, `LIST<INT64>`, …).
fn is_list(t: &ValueType) -> bool {
    matches!(t, ValueType::Other(name) if name.starts_with("LIST") || name.ends_with(']'))
}

/// Neo4j `toInteger`: integers as they are, floats truncated towards zero, booleans 0/1,
/// strings parsed (null when they are not a number); other values through their string form.
fn to_integer(ty: Option<ValueType>, x: Expr) -> Expr {
    let span = x.span;
    let trunc = |d: Expr| {
        let negative = binary(BinaryOp::Lt, d.clone(), int(0, span));
        cast(
            case(
                vec![(negative, call("ceil", vec![d.clone()], span))],
                Some(call("floor", vec![d], span)),
                span,
            ),
            "INT64",
        )
    };
    match ty {
        Some(ValueType::Integer) => x,
        Some(ValueType::Float) => trunc(x),
        Some(ValueType::Boolean) => case(
            vec![
                (x.clone(), int(1, span)),
                (
                    Expr::new(ExprKind::Unary(UnaryOp::Not, Box::new(x)), span),
                    int(0, span),
                ),
            ],
            None,
            span,
        ),
        other => {
            let s = if other == Some(ValueType::String) {
                x
            } else {
                cast(x, "STRING")
            };
            let as_int = cast(only_if(full_match(s.clone(), INT_RE), s.clone()), "INT64");
            let as_double = cast(only_if(full_match(s.clone(), NUM_RE), s.clone()), "DOUBLE");
            case(
                vec![(full_match(s, INT_RE), as_int)],
                Some(trunc(as_double)),
                span,
            )
        }
    }
}

/// Neo4j `toFloat`: strings that are not numbers give null.
fn to_float(ty: Option<ValueType>, x: Expr) -> Expr {
    match ty {
        Some(ValueType::Float) => x,
        Some(ValueType::String) => cast(only_if(full_match(x.clone(), NUM_RE), x), "DOUBLE"),
        _ => cast(x, "DOUBLE"),
    }
}

/// Neo4j `toString`: `true`/`false`, floats without Kùzu's trailing zeros (`3.5`, `1.0`).
fn to_string(ty: Option<ValueType>, x: Expr) -> Expr {
    let span = x.span;
    match ty {
        Some(ValueType::String) => x,
        Some(ValueType::Boolean) => case(
            vec![
                (x.clone(), string("true", span)),
                (
                    Expr::new(ExprKind::Unary(UnaryOp::Not, Box::new(x)), span),
                    string("false", span),
                ),
            ],
            None,
            span,
        ),
        Some(ValueType::Float) => {
            let trimmed = call(
                "regexp_replace",
                vec![
                    cast(x, "STRING"),
                    string(r"(\.\d*?)0+$", span),
                    string(r"\1", span),
                ],
                span,
            );
            call(
                "regexp_replace",
                vec![trimmed, string(r"\.$", span), string(".0", span)],
                span,
            )
        }
        _ => cast(x, "STRING"),
    }
}

/// Neo4j `toBoolean`: `'true'`/`'false'` in any case, integers non-zero; anything else null.
fn to_boolean(ty: Option<ValueType>, x: Expr) -> Expr {
    let span = x.span;
    match ty {
        Some(ValueType::Boolean) => x,
        Some(ValueType::Integer) => binary(BinaryOp::Ne, x, int(0, span)),
        other => {
            let s = if other == Some(ValueType::String) {
                x
            } else {
                cast(x, "STRING")
            };
            let word = call("lower", vec![call("trim", vec![s], span)], span);
            let is = |w: &str| binary(BinaryOp::Eq, word.clone(), string(w, span));
            let b = |v: bool| Expr::new(ExprKind::Literal(Literal::Bool(v)), span);
            case(
                vec![(is("true"), b(true)), (is("false"), b(false))],
                None,
                span,
            )
        }
    }
}

impl Rewriter<'_> {
    /// `base.key`, or null when the schema says none of `base`'s possible labels has `key`
    /// (Neo4j returns null; Kùzu's binder would fail).
    fn property(&self, base: Expr, key: Ident, span: Span) -> Expr {
        if let (Some(schema), ExprKind::Variable(v)) = (self.schema, &base.kind)
            && !key.name.starts_with('_')
        {
            let (rel, tables) = match self.lookup(&v.name) {
                Some(Binding::Node(labels)) => (false, labels.as_deref()),
                Some(Binding::Rel(types)) => (true, types.as_deref()),
                _ => return Expr::new(ExprKind::Property(Box::new(base), key), span),
            };
            if schema.property_types(rel, tables, &key.name).is_empty() {
                return match schema.property_types(rel, None, &key.name).first() {
                    Some(ty) => cast(null(span), ty.engine_name()),
                    None => null(span),
                };
            }
        }
        Expr::new(ExprKind::Property(Box::new(base), key), span)
    }

    /// `coalesce` whose arguments have different known types compares them as strings (Kùzu
    /// has no implicit cast between, say, STRING and INT64).
    fn coalesce(&self, args: Vec<Expr>, span: Span) -> Expr {
        let types: Vec<Option<ValueType>> = args.iter().map(|a| self.static_type(a)).collect();
        let known: Vec<&ValueType> = types
            .iter()
            .flatten()
            .filter(|t| **t != untyped_null())
            .collect();
        let numeric = |t: &ValueType| matches!(t, ValueType::Integer | ValueType::Float);
        let mixed = known
            .windows(2)
            .any(|w| w[0] != w[1] && !(numeric(w[0]) && numeric(w[1])));
        let args = if mixed {
            args.into_iter()
                .zip(types)
                .map(|(a, t)| match t {
                    Some(ValueType::String) => a,
                    None if matches!(a.kind, ExprKind::Literal(Literal::Null)) => a,
                    Some(t) if t == untyped_null() => a,
                    _ => to_string(t, a),
                })
                .collect()
        } else {
            args
        };
        call("coalesce", args, span)
    }

    /// The type of an (already rewritten) expression, when the translator can tell.
    pub(super) fn static_type(&self, e: &Expr) -> Option<ValueType> {
        match &e.kind {
            ExprKind::Literal(Literal::Int(_)) => Some(ValueType::Integer),
            ExprKind::Literal(Literal::Float(_)) => Some(ValueType::Float),
            ExprKind::Literal(Literal::Str(_)) => Some(ValueType::String),
            ExprKind::Literal(Literal::Bool(_)) => Some(ValueType::Boolean),
            ExprKind::Cast(_, ty) => Some(ValueType::from_engine_name(ty)),
            ExprKind::Variable(v) => match self.lookup(&v.name) {
                Some(Binding::Value(t)) => t.clone(),
                _ => None,
            },
            ExprKind::Property(base, key) => {
                let ExprKind::Variable(v) = &base.kind else {
                    return None;
                };
                let (rel, tables) = match self.lookup(&v.name)? {
                    Binding::Node(l) => (false, l.as_deref()),
                    Binding::Rel(t) => (true, t.as_deref()),
                    Binding::Value(_) => return None,
                };
                let types = self.schema?.property_types(rel, tables, &key.name);
                let first = types.first()?;
                types.iter().all(|t| t == first).then(|| first.clone())
            }
            ExprKind::CountStar | ExprKind::CountSubquery(_) => Some(ValueType::Integer),
            ExprKind::List(_) | ExprKind::ListComprehension { .. } | ExprKind::Slice(..) => {
                Some(list_type())
            }
            ExprKind::IsNull(..) | ExprKind::Exists(_) | ExprKind::Quantified { .. } => {
                Some(ValueType::Boolean)
            }
            ExprKind::Unary(UnaryOp::Not, _) => Some(ValueType::Boolean),
            ExprKind::Unary(_, inner) => self.static_type(inner),
            ExprKind::Binary(op, a, b) => match op {
                BinaryOp::Or
                | BinaryOp::Xor
                | BinaryOp::And
                | BinaryOp::Eq
                | BinaryOp::Ne
                | BinaryOp::Lt
                | BinaryOp::Le
                | BinaryOp::Gt
                | BinaryOp::Ge
                | BinaryOp::Regex
                | BinaryOp::In
                | BinaryOp::StartsWith
                | BinaryOp::EndsWith
                | BinaryOp::Contains => Some(ValueType::Boolean),
                _ => match (self.static_type(a)?, self.static_type(b)?) {
                    (ValueType::Integer, ValueType::Integer) => Some(ValueType::Integer),
                    (ValueType::Float, ValueType::Integer | ValueType::Float)
                    | (ValueType::Integer, ValueType::Float) => Some(ValueType::Float),
                    (ValueType::String, ValueType::String) if *op == BinaryOp::Add => {
                        Some(ValueType::String)
                    }
                    _ => None,
                },
            },
            ExprKind::Function { name, args, .. } if name.len() == 1 => {
                let n = name[0].name.to_ascii_lowercase();
                match n.as_str() {
                    "count" | "size" | "length" | "count_if" => Some(ValueType::Integer),
                    "collect" | "range" | "string_split" | "list_slice" | "list_reverse"
                    | "list_transform" | "list_filter" | "list_concat" | "list_append"
                    | "list_prepend" | "list_sort" | "list_distinct" | "nodes" | "rels"
                    | "regexp_extract_all" => Some(list_type()),
                    "label" | "lower" | "upper" | "trim" | "ltrim" | "rtrim" | "substring"
                    | "substr" | "left" | "right" | "concat" => Some(ValueType::String),
                    "regexp_full_match" | "regexp_matches" | "contains" | "starts_with"
                    | "ends_with" => Some(ValueType::Boolean),
                    "avg" | "sqrt" | "ln" | "log10" | "log2" | "pow" | "sin" | "cos" | "tan"
                    | "pi" => Some(ValueType::Float),
                    "sum" | "min" | "max" | "abs" | "coalesce" => {
                        args.iter().find_map(|a| self.static_type(a))
                    }
                    "floor" | "ceil" | "round" => Some(ValueType::Float),
                    _ => None,
                }
            }
            ExprKind::Case { whens, else_, .. } => whens
                .iter()
                .map(|(_, t)| t)
                .chain(else_.iter().map(|b| &**b))
                .find_map(|t| self.static_type(t)),
            _ => None,
        }
    }
}
