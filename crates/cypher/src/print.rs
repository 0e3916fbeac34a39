//! Printing a syntax tree back to Cypher text, in a [`Style`] (identifier quoting, label syntax).
//!
//! Owns: canonical spacing, upper-case keywords, string escaping, parentheses from operator
//! precedence (so rewritten trees print correctly without remembering the original text).
//! Does not own: deciding what to print (translators rewrite the tree first).

use crate::ast::*;

/// How a dialect spells things the printer cannot infer from the tree.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Words that must be backticked when used as names (compared case-insensitively).
    pub reserved: &'static [&'static str],
    /// Kùzu label syntax: a disjunction of node labels is `:A:B`, of relationship types `:A|:B`.
    pub kuzu_labels: bool,
}

/// Reserved words of openCypher / Neo4j that are quoted when used as names.
pub const CYPHER_RESERVED: &[&str] = &[
    "ALL",
    "AND",
    "AS",
    "ASC",
    "ASCENDING",
    "BY",
    "CALL",
    "CASE",
    "CONTAINS",
    "COUNT",
    "CREATE",
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
    "FOREACH",
    "IN",
    "IS",
    "LIMIT",
    "LOAD",
    "MATCH",
    "MERGE",
    "NOT",
    "NULL",
    "OPTIONAL",
    "OR",
    "ORDER",
    "REMOVE",
    "RETURN",
    "SET",
    "SKIP",
    "STARTS",
    "THEN",
    "TRUE",
    "UNION",
    "UNWIND",
    "WHEN",
    "WHERE",
    "WITH",
    "XOR",
    "YIELD",
];

/// The openCypher / Neo4j style.
pub const CYPHER: Style = Style {
    reserved: CYPHER_RESERVED,
    kuzu_labels: false,
};

/// Prints a whole parsed text (statements joined by `;\n`).
pub fn print_query(q: &Query, style: &Style) -> String {
    let mut p = Printer {
        out: String::new(),
        style,
    };
    for (i, s) in q.statements.iter().enumerate() {
        if i > 0 {
            p.out.push_str(";\n");
        }
        p.statement(s);
    }
    p.out
}

/// Prints one expression.
pub fn print_expr(e: &Expr, style: &Style) -> String {
    let mut p = Printer {
        out: String::new(),
        style,
    };
    p.expr(e);
    p.out
}

struct Printer<'a> {
    out: String,
    style: &'a Style,
}

/// Binding strength of an expression's outermost operator (higher binds tighter).
fn prec(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary(op, ..) => binary_prec(*op),
        ExprKind::Unary(UnaryOp::Not, _) => 4,
        ExprKind::IsNull(..) => 6,
        ExprKind::Unary(..) => 10,
        ExprKind::Lambda(..) => 0,
        ExprKind::Property(..)
        | ExprKind::Index(..)
        | ExprKind::Slice(..)
        | ExprKind::HasLabels(..) => 11,
        _ => 12,
    }
}

fn binary_prec(op: BinaryOp) -> u8 {
    use BinaryOp::*;
    match op {
        Or => 1,
        Xor => 2,
        And => 3,
        Eq | Ne | Lt | Le | Gt | Ge | Regex => 5,
        In | StartsWith | EndsWith | Contains => 6,
        Add | Sub => 7,
        Mul | Div | Mod => 8,
        Pow => 9,
    }
}

fn binary_text(op: BinaryOp) -> &'static str {
    use BinaryOp::*;
    match op {
        Or => "OR",
        Xor => "XOR",
        And => "AND",
        Eq => "=",
        Ne => "<>",
        Lt => "<",
        Le => "<=",
        Gt => ">",
        Ge => ">=",
        Regex => "=~",
        In => "IN",
        StartsWith => "STARTS WITH",
        EndsWith => "ENDS WITH",
        Contains => "CONTAINS",
        Add => "+",
        Sub => "-",
        Mul => "*",
        Div => "/",
        Mod => "%",
        Pow => "^",
    }
}

/// `'…'` with backslash escapes.
pub fn quote_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

impl Printer<'_> {
    fn w(&mut self, s: &str) {
        self.out.push_str(s);
    }

    fn name(&mut self, name: &str) {
        let reserved = self
            .style
            .reserved
            .iter()
            .any(|r| r.eq_ignore_ascii_case(name));
        self.name_quoted_if(name, reserved);
    }

    /// Function names are never keywords (`count(…)`, `exists(…)`): quoted only when not plain.
    fn function_name(&mut self, name: &str) {
        self.name_quoted_if(name, false);
    }

    fn name_quoted_if(&mut self, name: &str, reserved: bool) {
        let plain = name
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_alphanumeric() || c == '_');
        if plain && !reserved {
            self.w(name);
        } else {
            let escaped = format!("`{}`", name.replace('`', "``"));
            self.w(&escaped);
        }
    }

    fn ident(&mut self, i: &Ident) {
        self.name(&i.name);
    }

    fn list<T>(&mut self, items: &[T], sep: &str, mut f: impl FnMut(&mut Self, &T)) {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.w(sep);
            }
            f(self, item);
        }
    }

    fn statement(&mut self, s: &Statement) {
        match s.prefix {
            Some(StatementPrefix::Explain) => self.w("EXPLAIN "),
            Some(StatementPrefix::Profile) => self.w("PROFILE "),
            None => {}
        }
        match &s.body {
            StatementBody::Query(q) => self.regular_query(q),
            StatementBody::Command(c) => self.w(&c.name),
        }
    }

    fn regular_query(&mut self, q: &RegularQuery) {
        self.single_query(&q.first);
        for u in &q.unions {
            self.w(if u.all { " UNION ALL " } else { " UNION " });
            self.single_query(&u.query);
        }
    }

    fn single_query(&mut self, q: &SingleQuery) {
        self.list(&q.clauses, " ", |p, c| p.clause(c));
    }

    fn where_(&mut self, e: &Option<Expr>) {
        if let Some(e) = e {
            self.w(" WHERE ");
            self.expr(e);
        }
    }

    fn clause(&mut self, c: &Clause) {
        match &c.kind {
            ClauseKind::Match {
                optional,
                patterns,
                where_,
            } => {
                self.w(if *optional {
                    "OPTIONAL MATCH "
                } else {
                    "MATCH "
                });
                self.list(patterns, ", ", |p, x| p.path_pattern(x));
                self.where_(where_);
            }
            ClauseKind::Unwind { expr, alias } => {
                self.w("UNWIND ");
                self.expr(expr);
                self.w(" AS ");
                self.ident(alias);
            }
            ClauseKind::With(proj) => {
                self.w("WITH ");
                self.projection(proj);
            }
            ClauseKind::Return(proj) => {
                self.w("RETURN ");
                self.projection(proj);
            }
            ClauseKind::CallSubquery {
                query,
                in_transactions,
            } => {
                self.w("CALL { ");
                self.regular_query(query);
                self.w(" }");
                if *in_transactions {
                    self.w(" IN TRANSACTIONS");
                }
            }
            ClauseKind::CallProcedure(call) => self.procedure(call),
            ClauseKind::Create { patterns } => {
                self.w("CREATE ");
                self.list(patterns, ", ", |p, x| p.path_pattern(x));
            }
            ClauseKind::Merge { pattern, actions } => {
                self.w("MERGE ");
                self.path_pattern(pattern);
                for (on_create, items) in actions {
                    self.w(if *on_create {
                        " ON CREATE SET "
                    } else {
                        " ON MATCH SET "
                    });
                    self.set_items(items);
                }
            }
            ClauseKind::Set { items } => {
                self.w("SET ");
                self.set_items(items);
            }
            ClauseKind::Remove { items } => {
                self.w("REMOVE ");
                self.set_items(items);
            }
            ClauseKind::Delete { detach, exprs } => {
                self.w(if *detach { "DETACH DELETE " } else { "DELETE " });
                self.list(exprs, ", ", |p, e| p.expr(e));
            }
            ClauseKind::Foreach {
                variable,
                list,
                clauses,
            } => {
                self.w("FOREACH (");
                self.ident(variable);
                self.w(" IN ");
                self.expr(list);
                self.w(" | ");
                self.list(clauses, " ", |p, c| p.clause(c));
                self.w(")");
            }
            ClauseKind::LoadCsv {
                with_headers,
                from,
                alias,
                field_terminator,
            } => {
                self.w(if *with_headers {
                    "LOAD CSV WITH HEADERS FROM "
                } else {
                    "LOAD CSV FROM "
                });
                self.expr(from);
                self.w(" AS ");
                self.ident(alias);
                if let Some(t) = field_terminator {
                    self.w(" FIELDTERMINATOR ");
                    self.w(&quote_string(t));
                }
            }
        }
    }

    fn procedure(&mut self, call: &ProcedureCall) {
        self.w("CALL ");
        self.list(&call.name, ".", |p, i| p.function_name(&i.name));
        if let Some(args) = &call.args {
            self.w("(");
            self.list(args, ", ", |p, e| p.expr(e));
            self.w(")");
        }
        if call.yield_star {
            self.w(" YIELD *");
        } else if let Some(items) = &call.yield_items {
            self.w(" YIELD ");
            self.list(items, ", ", |p, (field, alias)| {
                p.ident(field);
                if let Some(a) = alias {
                    p.w(" AS ");
                    p.ident(a);
                }
            });
        }
        self.where_(&call.where_);
    }

    fn set_items(&mut self, items: &[SetItem]) {
        self.list(items, ", ", |p, item| match item {
            SetItem::Property { target, value } => {
                p.expr(target);
                if let Some(v) = value {
                    p.w(" = ");
                    p.expr(v);
                }
            }
            SetItem::Variable {
                variable,
                value,
                merge,
            } => {
                p.ident(variable);
                p.w(if *merge { " += " } else { " = " });
                p.expr(value);
            }
            SetItem::Labels { variable, labels } => {
                p.ident(variable);
                for l in labels {
                    p.w(":");
                    p.ident(l);
                }
            }
        });
    }

    fn projection(&mut self, proj: &Projection) {
        if proj.distinct {
            self.w("DISTINCT ");
        }
        if proj.star {
            self.w("*");
            if !proj.items.is_empty() {
                self.w(", ");
            }
        }
        self.list(&proj.items, ", ", |p, item| {
            p.expr(&item.expr);
            if let Some(a) = &item.alias {
                p.w(" AS ");
                p.ident(a);
            }
        });
        if !proj.order_by.is_empty() {
            self.w(" ORDER BY ");
            self.list(&proj.order_by, ", ", |p, s| {
                p.expr(&s.expr);
                if s.descending {
                    p.w(" DESC");
                }
            });
        }
        if let Some(e) = &proj.skip {
            self.w(" SKIP ");
            self.expr(e);
        }
        if let Some(e) = &proj.limit {
            self.w(" LIMIT ");
            self.expr(e);
        }
        self.where_(&proj.where_);
    }

    fn path_pattern(&mut self, pp: &PathPattern) {
        if let Some(v) = &pp.variable {
            self.ident(v);
            self.w(" = ");
        }
        match pp.shortest {
            Some(Shortest::One) => self.w("shortestPath("),
            Some(Shortest::All) => self.w("allShortestPaths("),
            None => {}
        }
        self.element(&pp.element);
        if pp.shortest.is_some() {
            self.w(")");
        }
    }

    fn element(&mut self, el: &PatternElement) {
        self.node(&el.start);
        for (rel, node) in &el.chain {
            self.rel(rel);
            self.node(node);
        }
    }

    fn node(&mut self, n: &NodePattern) {
        self.w("(");
        if let Some(v) = &n.variable {
            self.ident(v);
        }
        if let Some(l) = &n.labels {
            self.labels(l, false);
        }
        self.props_and_where(
            &n.properties,
            &n.where_,
            n.variable.is_some() || n.labels.is_some(),
        );
        self.w(")");
    }

    fn props_and_where(&mut self, props: &Option<Expr>, where_: &Option<Expr>, mut after: bool) {
        if let Some(p) = props {
            if after {
                self.w(" ");
            }
            self.expr(p);
            after = true;
        }
        if let Some(e) = where_ {
            if after {
                self.w(" ");
            }
            self.w("WHERE ");
            self.expr(e);
        }
    }

    fn rel(&mut self, r: &RelPattern) {
        let empty = r.variable.is_none()
            && r.types.is_none()
            && r.length.is_none()
            && r.properties.is_none()
            && r.where_.is_none();
        self.w(if r.direction == Direction::Left {
            "<-"
        } else {
            "-"
        });
        if r.bracketed || !empty {
            self.w("[");
            if let Some(v) = &r.variable {
                self.ident(v);
            }
            if let Some(t) = &r.types {
                self.labels(t, true);
            }
            if let Some(len) = &r.length {
                self.var_length(len);
            }
            let after = r.variable.is_some() || r.types.is_some() || r.length.is_some();
            self.props_and_where(&r.properties, &r.where_, after);
            self.w("]");
        }
        self.w(if r.direction == Direction::Right {
            "->"
        } else {
            "-"
        });
    }

    fn var_length(&mut self, len: &VarLength) {
        self.w("*");
        match len.shortest {
            Some(Shortest::One) => self.w(" SHORTEST "),
            Some(Shortest::All) => self.w(" ALL SHORTEST "),
            None => {}
        }
        if len.exact {
            if let Some(m) = len.min {
                self.w(&m.to_string());
            }
            return;
        }
        if let Some(m) = len.min {
            self.w(&m.to_string());
        }
        if len.min.is_some() || len.max.is_some() {
            self.w("..");
        }
        if let Some(m) = len.max {
            self.w(&m.to_string());
        }
    }

    fn labels(&mut self, l: &LabelExpr, rel: bool) {
        let names = |parts: &[LabelExpr]| parts.iter().all(|p| matches!(p, LabelExpr::Name(_)));
        match l {
            LabelExpr::Or(parts) if self.style.kuzu_labels && names(parts) => {
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 && rel {
                        self.w("|");
                    }
                    self.w(":");
                    self.label_term(part);
                }
            }
            LabelExpr::And(parts) if names(parts) => {
                for part in parts {
                    self.w(":");
                    self.label_term(part);
                }
            }
            other => {
                self.w(":");
                self.label_term(other);
            }
        }
    }

    fn label_term(&mut self, l: &LabelExpr) {
        match l {
            LabelExpr::Name(i) => self.ident(i),
            LabelExpr::Wildcard => self.w("%"),
            LabelExpr::Not(inner) => {
                self.w("!");
                self.label_group(inner);
            }
            LabelExpr::And(parts) => self.list(parts, "&", |p, x| p.label_group(x)),
            LabelExpr::Or(parts) => self.list(parts, "|", |p, x| p.label_group(x)),
        }
    }

    fn label_group(&mut self, l: &LabelExpr) {
        if matches!(l, LabelExpr::And(_) | LabelExpr::Or(_)) {
            self.w("(");
            self.label_term(l);
            self.w(")");
        } else {
            self.label_term(l);
        }
    }

    fn child(&mut self, e: &Expr, min: u8) {
        if prec(e) < min {
            self.w("(");
            self.expr(e);
            self.w(")");
        } else {
            self.expr(e);
        }
    }

    fn subquery(&mut self, keyword: &str, body: &SubqueryBody) {
        self.w(keyword);
        self.w(" { ");
        match body {
            SubqueryBody::Query(q) => self.regular_query(q),
            SubqueryBody::Pattern { patterns, where_ } => {
                self.list(patterns, ", ", |p, x| p.path_pattern(x));
                if let Some(e) = where_ {
                    self.w(" WHERE ");
                    self.expr(e);
                }
            }
        }
        self.w(" }");
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Literal(l) => match l {
                Literal::Null => self.w("null"),
                Literal::Bool(b) => self.w(if *b { "true" } else { "false" }),
                Literal::Int(s) | Literal::Float(s) => self.w(s),
                Literal::Str(s) => self.w(&quote_string(s)),
            },
            ExprKind::Parameter(name) => {
                self.w("$");
                self.w(name);
            }
            ExprKind::Variable(i) => self.ident(i),
            ExprKind::Property(base, key) => {
                self.child(base, 11);
                self.w(".");
                self.ident(key);
            }
            ExprKind::Index(base, index) => {
                self.child(base, 11);
                self.w("[");
                self.expr(index);
                self.w("]");
            }
            ExprKind::Slice(base, from, to) => {
                self.child(base, 11);
                self.w("[");
                if let Some(f) = from {
                    self.expr(f);
                }
                self.w("..");
                if let Some(t) = to {
                    self.expr(t);
                }
                self.w("]");
            }
            ExprKind::List(items) => {
                self.w("[");
                self.list(items, ", ", |p, x| p.expr(x));
                self.w("]");
            }
            ExprKind::Map(entries) => {
                self.w("{");
                self.list(entries, ", ", |p, (k, v)| {
                    p.ident(k);
                    p.w(": ");
                    p.expr(v);
                });
                self.w("}");
            }
            ExprKind::MapProjection(var, items) => {
                self.ident(var);
                self.w(" {");
                self.list(items, ", ", |p, item| match item {
                    MapProjectionItem::Property(k) => {
                        p.w(".");
                        p.ident(k);
                    }
                    MapProjectionItem::AllProperties => p.w(".*"),
                    MapProjectionItem::Literal(k, v) => {
                        p.ident(k);
                        p.w(": ");
                        p.expr(v);
                    }
                    MapProjectionItem::Variable(v) => p.ident(v),
                });
                self.w("}");
            }
            ExprKind::Unary(op, operand) => match op {
                UnaryOp::Not => {
                    self.w("NOT ");
                    self.child(operand, 4);
                }
                UnaryOp::Neg | UnaryOp::Plus => {
                    self.w(if *op == UnaryOp::Neg { "-" } else { "+" });
                    // `- -x` must not print as `--x`.
                    if matches!(
                        operand.kind,
                        ExprKind::Unary(UnaryOp::Neg | UnaryOp::Plus, _)
                    ) || matches!(&operand.kind, ExprKind::Literal(Literal::Int(s) | Literal::Float(s)) if s.starts_with('-'))
                    {
                        self.w(" ");
                    }
                    self.child(operand, 10);
                }
            },
            ExprKind::Binary(op, lhs, rhs) => {
                let p = binary_prec(*op);
                self.child(lhs, p);
                self.w(" ");
                self.w(binary_text(*op));
                self.w(" ");
                self.child(rhs, p + 1);
            }
            ExprKind::IsNull(operand, negated) => {
                self.child(operand, 6);
                self.w(if *negated { " IS NOT NULL" } else { " IS NULL" });
            }
            ExprKind::HasLabels(operand, labels) => {
                self.child(operand, 11);
                self.labels(labels, false);
            }
            ExprKind::Function {
                name,
                distinct,
                args,
            } => {
                self.list(name, ".", |p, i| p.function_name(&i.name));
                self.w("(");
                if *distinct {
                    self.w("DISTINCT ");
                }
                self.list(args, ", ", |p, x| p.expr(x));
                self.w(")");
            }
            ExprKind::CountStar => self.w("count(*)"),
            ExprKind::Case {
                subject,
                whens,
                else_,
            } => {
                self.w("CASE");
                if let Some(s) = subject {
                    self.w(" ");
                    self.expr(s);
                }
                for (cond, then) in whens {
                    self.w(" WHEN ");
                    self.expr(cond);
                    self.w(" THEN ");
                    self.expr(then);
                }
                if let Some(e) = else_ {
                    self.w(" ELSE ");
                    self.expr(e);
                }
                self.w(" END");
            }
            ExprKind::ListComprehension {
                variable,
                list,
                filter,
                map,
            } => {
                self.w("[");
                self.ident(variable);
                self.w(" IN ");
                self.expr(list);
                if let Some(f) = filter {
                    self.w(" WHERE ");
                    self.expr(f);
                }
                if let Some(m) = map {
                    self.w(" | ");
                    self.expr(m);
                }
                self.w("]");
            }
            ExprKind::PatternComprehension {
                variable,
                pattern,
                filter,
                map,
            } => {
                self.w("[");
                if let Some(v) = variable {
                    self.ident(v);
                    self.w(" = ");
                }
                self.element(pattern);
                if let Some(f) = filter {
                    self.w(" WHERE ");
                    self.expr(f);
                }
                self.w(" | ");
                self.expr(map);
                self.w("]");
            }
            ExprKind::Quantified {
                quantifier,
                variable,
                list,
                predicate,
            } => {
                self.w(match quantifier {
                    Quantifier::All => "all(",
                    Quantifier::Any => "any(",
                    Quantifier::None => "none(",
                    Quantifier::Single => "single(",
                });
                self.ident(variable);
                self.w(" IN ");
                self.expr(list);
                self.w(" WHERE ");
                self.expr(predicate);
                self.w(")");
            }
            ExprKind::Reduce {
                accumulator,
                init,
                variable,
                list,
                expr,
            } => {
                self.w("reduce(");
                self.ident(accumulator);
                self.w(" = ");
                self.expr(init);
                self.w(", ");
                self.ident(variable);
                self.w(" IN ");
                self.expr(list);
                self.w(" | ");
                self.expr(expr);
                self.w(")");
            }
            ExprKind::Pattern(el) => self.element(el),
            ExprKind::Exists(body) => self.subquery("EXISTS", body),
            ExprKind::CountSubquery(body) => self.subquery("COUNT", body),
            ExprKind::CollectSubquery(body) => self.subquery("COLLECT", body),
            ExprKind::Lambda(params, body) => {
                if params.len() == 1 {
                    self.ident(&params[0]);
                } else {
                    self.w("(");
                    self.list(params, ", ", |p, i| p.ident(i));
                    self.w(")");
                }
                self.w(" -> ");
                self.expr(body);
            }
            ExprKind::Cast(inner, ty) => {
                self.w("CAST(");
                self.expr(inner);
                self.w(" AS ");
                self.w(ty);
                self.w(")");
            }
        }
    }
}
