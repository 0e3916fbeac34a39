//! Expressions by precedence climbing, loosest first: `OR`, `XOR`, `AND`, `NOT`, comparisons,
//! `IN` / `STARTS WITH` / `ENDS WITH` / `CONTAINS` / `IS NULL`, `+ -`, `* / %`, `^`, unary sign,
//! postfix (property, index, slice, label test, map projection), atoms.

use super::{PResult, Parser};
use crate::ast::*;
use crate::lexer::Tok;

/// Words that cannot be a bare variable where an expression starts.
const RESERVED: &[&str] = &[
    "MATCH", "OPTIONAL", "WHERE", "WITH", "RETURN", "UNWIND", "CALL", "CREATE", "MERGE", "SET",
    "DELETE", "DETACH", "REMOVE", "FOREACH", "ORDER", "SKIP", "LIMIT", "UNION", "AND", "OR", "XOR",
    "NOT", "IN", "IS", "AS", "CASE", "WHEN", "THEN", "ELSE", "DISTINCT", "STARTS", "ENDS",
    "CONTAINS", "NULL", "TRUE", "FALSE", "YIELD", "LOAD",
];

impl Parser<'_> {
    /// One expression.
    pub(crate) fn expr(&mut self) -> PResult<Expr> {
        self.nested(|p| p.binary(1))
    }

    fn peek_binop(&self) -> Option<(BinaryOp, u8, usize)> {
        let word = |n: usize| match self.peek_at(n) {
            Tok::Ident(s) => s.to_ascii_uppercase(),
            _ => String::new(),
        };
        let w = word(0);
        let op = match (w.as_str(), self.peek_at(0)) {
            ("OR", _) => (BinaryOp::Or, 1, 1),
            ("XOR", _) => (BinaryOp::Xor, 2, 1),
            ("AND", _) => (BinaryOp::And, 3, 1),
            ("IN", _) => (BinaryOp::In, 6, 1),
            ("STARTS", _) if word(1) == "WITH" => (BinaryOp::StartsWith, 6, 2),
            ("ENDS", _) if word(1) == "WITH" => (BinaryOp::EndsWith, 6, 2),
            ("CONTAINS", _) => (BinaryOp::Contains, 6, 1),
            (_, Tok::Punct(p)) => match *p {
                "=" => (BinaryOp::Eq, 5, 1),
                "<>" | "!=" => (BinaryOp::Ne, 5, 1),
                "<" | "<-" => (BinaryOp::Lt, 5, 0),
                "<=" => (BinaryOp::Le, 5, 1),
                ">" => (BinaryOp::Gt, 5, 1),
                ">=" => (BinaryOp::Ge, 5, 1),
                "=~" => (BinaryOp::Regex, 5, 1),
                "+" => (BinaryOp::Add, 7, 1),
                "-" | "--" | "->" => (BinaryOp::Sub, 7, 0),
                "*" => (BinaryOp::Mul, 8, 1),
                "/" => (BinaryOp::Div, 8, 1),
                "%" => (BinaryOp::Mod, 8, 1),
                "^" => (BinaryOp::Pow, 9, 1),
                _ => return None,
            },
            _ => return None,
        };
        Some(op)
    }

    fn binary(&mut self, min: u8) -> PResult<Expr> {
        let mut lhs = self.prefix()?;
        let mut levels = 0;
        let result = loop {
            if self.is_kw_at(0, "IS") && min <= 6 {
                self.advance();
                let negated = self.eat_kw("NOT");
                if let Err(e) = self.expect_kw("NULL") {
                    break Err(e);
                }
                let span = lhs.span.to(self.prev);
                lhs = Expr::new(ExprKind::IsNull(Box::new(lhs), negated), span);
                continue;
            }
            let Some((op, prec, words)) = self.peek_binop() else {
                for what in ["operator", "'AND'", "'OR'"] {
                    self.note(what);
                }
                break Ok(lhs);
            };
            if prec < min {
                break Ok(lhs);
            }
            if let Err(e) = self.link() {
                break Err(e);
            }
            levels += 1;
            if words == 0 {
                // A compound token (`<-`, `--`) that starts with the operator: split it.
                let p = if op == BinaryOp::Lt { "<" } else { "-" };
                self.eat_punct(p);
            } else {
                for _ in 0..words {
                    self.advance();
                }
            }
            let rhs = match self.binary(prec + 1) {
                Ok(rhs) => rhs,
                Err(e) => break Err(e),
            };
            let span = lhs.span.to(rhs.span);
            lhs = Expr::new(ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), span);
        };
        self.unlink(levels);
        result
    }

    fn prefix(&mut self) -> PResult<Expr> {
        let start = self.span();
        let op = if self.at_kw("NOT") {
            Some(UnaryOp::Not)
        } else if self.at_punct("-") {
            Some(UnaryOp::Neg)
        } else if self.at_punct("+") {
            Some(UnaryOp::Plus)
        } else {
            None
        };
        let Some(op) = op else { return self.postfix() };
        if op == UnaryOp::Neg {
            self.eat_punct("-");
        } else {
            self.advance();
        }
        self.nested(|p| {
            let operand = if op == UnaryOp::Not {
                p.binary(4)?
            } else {
                p.prefix()?
            };
            let span = start.to(operand.span);
            Ok(Expr::new(ExprKind::Unary(op, Box::new(operand)), span))
        })
    }

    fn postfix(&mut self) -> PResult<Expr> {
        let mut e = self.atom()?;
        let mut levels = 0;
        let result = loop {
            let step = if self.is_punct_at(0, ".") {
                self.advance();
                self.ident().map(|key| {
                    let span = e.span.to(key.span);
                    ExprKind::Property(Box::new(e.clone()), key).with(span)
                })
            } else if self.is_punct_at(0, "[") {
                self.advance();
                self.index_or_slice(e.clone())
            } else if self.is_punct_at(0, ":") {
                self.advance();
                self.label_expr_in(true).map(|labels| {
                    let span = e.span.to(self.prev);
                    ExprKind::HasLabels(Box::new(e.clone()), labels).with(span)
                })
            } else if self.is_punct_at(0, "{") && matches!(e.kind, ExprKind::Variable(_)) {
                self.map_projection(e.clone())
            } else {
                self.note("'.'");
                self.note("'['");
                break Ok(e);
            };
            match step.and_then(|next| self.link().map(|()| next)) {
                Ok(next) => {
                    levels += 1;
                    e = next;
                }
                Err(err) => break Err(err),
            }
        };
        self.unlink(levels);
        result
    }

    fn index_or_slice(&mut self, base: Expr) -> PResult<Expr> {
        let from = if self.is_punct_at(0, "..") {
            None
        } else {
            Some(Box::new(self.expr()?))
        };
        let kind = if self.eat_punct("..") {
            let to = if self.at_punct("]") {
                None
            } else {
                Some(Box::new(self.expr()?))
            };
            ExprKind::Slice(Box::new(base.clone()), from, to)
        } else {
            match from {
                Some(index) => ExprKind::Index(Box::new(base.clone()), index),
                None => return Err(self.error()),
            }
        };
        self.expect_punct("]")?;
        Ok(kind.with(base.span.to(self.prev)))
    }

    fn map_projection(&mut self, base: Expr) -> PResult<Expr> {
        let ExprKind::Variable(var) = &base.kind else {
            return Err(self.error());
        };
        self.expect_punct("{")?;
        let mut items = Vec::new();
        if !self.eat_punct("}") {
            loop {
                if self.eat_punct(".") {
                    if self.eat_punct("*") {
                        items.push(MapProjectionItem::AllProperties);
                    } else {
                        items.push(MapProjectionItem::Property(self.ident()?));
                    }
                } else {
                    let key = self.ident()?;
                    if self.eat_punct(":") {
                        items.push(MapProjectionItem::Literal(key, self.expr()?));
                    } else {
                        items.push(MapProjectionItem::Variable(key));
                    }
                }
                if !self.eat_punct(",") {
                    break;
                }
            }
            self.expect_punct("}")?;
        }
        Ok(ExprKind::MapProjection(var.clone(), items).with(base.span.to(self.prev)))
    }

    pub(super) fn map_literal(&mut self) -> PResult<Expr> {
        let start = self.expect_punct("{")?;
        let mut entries = Vec::new();
        if !self.eat_punct("}") {
            loop {
                let key = self.ident()?;
                self.expect_punct(":")?;
                entries.push((key, self.expr()?));
                if !self.eat_punct(",") {
                    break;
                }
            }
            self.expect_punct("}")?;
        }
        Ok(ExprKind::Map(entries).with(start.to(self.prev)))
    }

    fn atom(&mut self) -> PResult<Expr> {
        let tok = self.peek().clone();
        let start = tok.span;
        let lit = |l: Literal| ExprKind::Literal(l).with(start);
        match tok.tok {
            Tok::Int(s) => {
                self.advance();
                Ok(lit(Literal::Int(s)))
            }
            Tok::Float(s) => {
                self.advance();
                Ok(lit(Literal::Float(s)))
            }
            Tok::Str(s) => {
                self.advance();
                Ok(lit(Literal::Str(s)))
            }
            Tok::Param(s) => {
                self.advance();
                Ok(ExprKind::Parameter(s).with(start))
            }
            Tok::Quoted(name) => {
                self.advance();
                Ok(ExprKind::Variable(Ident { name, span: start }).with(start))
            }
            Tok::Punct("(") => self.with_bar(false, |p| p.paren_or_pattern()),
            Tok::Punct("[") => self.with_bar(false, |p| p.bracket()),
            Tok::Punct("{") => self.with_bar(false, |p| p.map_literal()),
            Tok::Ident(word) => self.word_atom(word),
            _ => {
                self.note("expression");
                Err(self.error())
            }
        }
    }

    fn word_atom(&mut self, word: String) -> PResult<Expr> {
        let start = self.span();
        let upper = word.to_ascii_uppercase();
        let next_is = |p: &Self, s: &str| p.is_punct_at(1, s);
        match upper.as_str() {
            "TRUE" | "FALSE" => {
                self.advance();
                return Ok(ExprKind::Literal(Literal::Bool(upper == "TRUE")).with(start));
            }
            "NULL" => {
                self.advance();
                return Ok(ExprKind::Literal(Literal::Null).with(start));
            }
            "CASE" => return self.case_expr(),
            "EXISTS" | "COUNT" | "COLLECT" if next_is(self, "{") => {
                self.advance();
                let body = self.subquery_body()?;
                let kind = match upper.as_str() {
                    "EXISTS" => ExprKind::Exists(body),
                    "COUNT" => ExprKind::CountSubquery(body),
                    _ => ExprKind::CollectSubquery(body),
                };
                return Ok(kind.with(start.to(self.prev)));
            }
            "COUNT"
                if next_is(self, "(") && self.is_punct_at(2, "*") && self.is_punct_at(3, ")") =>
            {
                for _ in 0..4 {
                    self.advance();
                }
                return Ok(ExprKind::CountStar.with(start.to(self.prev)));
            }
            "ALL" | "ANY" | "NONE" | "SINGLE"
                if next_is(self, "(")
                    && matches!(self.peek_at(2), Tok::Ident(_) | Tok::Quoted(_))
                    && self.is_kw_at(3, "IN") =>
            {
                return self.quantified(&upper);
            }
            "REDUCE" if next_is(self, "(") => return self.reduce(),
            "CAST" if next_is(self, "(") => return self.cast(),
            _ => {}
        }
        // `name(` or `ns.name(`: a function call.
        let mut n = 1;
        while self.is_punct_at(n, ".")
            && matches!(self.peek_at(n + 1), Tok::Ident(_) | Tok::Quoted(_))
        {
            n += 2;
        }
        if self.is_punct_at(n, "(") {
            return self.with_bar(false, |p| p.function_call());
        }
        if RESERVED.contains(&upper.as_str()) {
            self.note("expression");
            return Err(self.error());
        }
        self.advance();
        Ok(ExprKind::Variable(Ident {
            name: word,
            span: start,
        })
        .with(start))
    }

    fn function_call(&mut self) -> PResult<Expr> {
        let start = self.span();
        let mut name = vec![self.ident()?];
        while self.eat_punct(".") {
            name.push(self.ident()?);
        }
        self.expect_punct("(")?;
        let distinct = self.eat_kw("DISTINCT");
        let mut args = Vec::new();
        if !self.eat_punct(")") {
            loop {
                args.push(self.argument()?);
                if !self.eat_punct(",") {
                    break;
                }
            }
            self.expect_punct(")")?;
        }
        Ok(ExprKind::Function {
            name,
            distinct,
            args,
        }
        .with(start.to(self.prev)))
    }

    /// A function argument: an expression or a Kùzu lambda (`x -> e`, `(a, b) -> e`).
    fn argument(&mut self) -> PResult<Expr> {
        let start = self.span();
        let is_name = |t: &Tok| matches!(t, Tok::Ident(_) | Tok::Quoted(_));
        let params = if is_name(self.peek_at(0)) && self.is_punct_at(1, "->") {
            vec![self.ident()?]
        } else if self.is_punct_at(0, "(") && is_name(self.peek_at(1)) && self.is_punct_at(2, ",") {
            self.advance();
            let mut params = vec![self.ident()?];
            while self.eat_punct(",") {
                params.push(self.ident()?);
            }
            self.expect_punct(")")?;
            params
        } else {
            return self.expr();
        };
        self.expect_punct("->")?;
        let body = self.expr()?;
        Ok(ExprKind::Lambda(params, Box::new(body)).with(start.to(self.prev)))
    }

    /// Kùzu `CAST(expr AS TYPE)`.
    fn cast(&mut self) -> PResult<Expr> {
        let start = self.span();
        self.advance();
        self.expect_punct("(")?;
        let inner = self.expr()?;
        self.expect_kw("AS")?;
        let mut ty = self.ident()?.name;
        while self.eat_punct("[") {
            ty.push('[');
            if let Tok::Int(n) = self.peek().tok.clone() {
                self.advance();
                ty.push_str(&n);
            }
            self.expect_punct("]")?;
            ty.push(']');
        }
        self.expect_punct(")")?;
        Ok(ExprKind::Cast(Box::new(inner), ty).with(start.to(self.prev)))
    }

    fn case_expr(&mut self) -> PResult<Expr> {
        let start = self.expect_kw("CASE")?;
        let subject = if self.at_kw("WHEN") {
            None
        } else {
            Some(Box::new(self.expr()?))
        };
        let mut whens = Vec::new();
        while self.eat_kw("WHEN") {
            let cond = self.expr()?;
            self.expect_kw("THEN")?;
            whens.push((cond, self.expr()?));
        }
        if whens.is_empty() {
            return Err(self.error());
        }
        let else_ = if self.eat_kw("ELSE") {
            Some(Box::new(self.expr()?))
        } else {
            None
        };
        self.expect_kw("END")?;
        Ok(ExprKind::Case {
            subject,
            whens,
            else_,
        }
        .with(start.to(self.prev)))
    }

    fn quantified(&mut self, word: &str) -> PResult<Expr> {
        let start = self.span();
        self.advance();
        self.expect_punct("(")?;
        let variable = self.ident()?;
        self.expect_kw("IN")?;
        let list = Box::new(self.expr()?);
        self.expect_kw("WHERE")?;
        let predicate = Box::new(self.expr()?);
        self.expect_punct(")")?;
        let quantifier = match word {
            "ALL" => Quantifier::All,
            "ANY" => Quantifier::Any,
            "NONE" => Quantifier::None,
            _ => Quantifier::Single,
        };
        Ok(ExprKind::Quantified {
            quantifier,
            variable,
            list,
            predicate,
        }
        .with(start.to(self.prev)))
    }

    fn reduce(&mut self) -> PResult<Expr> {
        let start = self.span();
        self.advance();
        self.expect_punct("(")?;
        let accumulator = self.ident()?;
        self.expect_punct("=")?;
        let init = Box::new(self.expr()?);
        self.expect_punct(",")?;
        let variable = self.ident()?;
        self.expect_kw("IN")?;
        let list = Box::new(self.expr()?);
        self.expect_punct("|")?;
        let expr = Box::new(self.expr()?);
        self.expect_punct(")")?;
        Ok(ExprKind::Reduce {
            accumulator,
            init,
            variable,
            list,
            expr,
        }
        .with(start.to(self.prev)))
    }

    fn subquery_body(&mut self) -> PResult<SubqueryBody> {
        self.expect_punct("{")?;
        let body = if self.at_clause_start() {
            SubqueryBody::Query(Box::new(self.regular_query()?))
        } else {
            let patterns = self.patterns()?;
            let where_ = if self.eat_kw("WHERE") {
                Some(Box::new(self.expr()?))
            } else {
                None
            };
            SubqueryBody::Pattern { patterns, where_ }
        };
        self.expect_punct("}")?;
        Ok(body)
    }

    /// `(` starts a pattern predicate when a relationship follows the node, else a
    /// parenthesised expression.
    fn paren_or_pattern(&mut self) -> PResult<Expr> {
        let start = self.span();
        let saved = self.save();
        if let Ok(element) = self.pattern_element()
            && !element.chain.is_empty()
        {
            let span = element.start.span.to(self.prev);
            return Ok(ExprKind::Pattern(Box::new(element)).with(span));
        }
        self.restore(saved);
        self.expect_punct("(")?;
        let mut inner = self.expr()?;
        self.expect_punct(")")?;
        inner.span = start.to(self.prev);
        Ok(inner)
    }

    /// `[` starts a list literal, a list comprehension or a pattern comprehension.
    fn bracket(&mut self) -> PResult<Expr> {
        let start = self.expect_punct("[")?;
        let is_name = |t: &Tok| matches!(t, Tok::Ident(_) | Tok::Quoted(_));
        if is_name(self.peek_at(0)) && self.is_kw_at(1, "IN") {
            let variable = self.ident()?;
            self.advance();
            let list = Box::new(self.expr()?);
            let filter = if self.eat_kw("WHERE") {
                Some(Box::new(self.with_bar(true, |p| p.expr())?))
            } else {
                None
            };
            let map = if self.eat_punct("|") {
                Some(Box::new(self.expr()?))
            } else {
                None
            };
            self.expect_punct("]")?;
            return Ok(ExprKind::ListComprehension {
                variable,
                list,
                filter,
                map,
            }
            .with(start.to(self.prev)));
        }
        if self.at_punct("(") || (is_name(self.peek_at(0)) && self.is_punct_at(1, "=")) {
            let saved = self.save();
            if let Some(e) = self.try_pattern_comprehension(start)? {
                return Ok(e);
            }
            self.restore(saved);
        }
        let mut items = Vec::new();
        if !self.eat_punct("]") {
            items = self.expr_list()?;
            self.expect_punct("]")?;
        }
        Ok(ExprKind::List(items).with(start.to(self.prev)))
    }

    fn try_pattern_comprehension(&mut self, start: Span) -> PResult<Option<Expr>> {
        let variable = if self.is_punct_at(1, "=") {
            let v = self.ident()?;
            self.advance();
            Some(v)
        } else {
            None
        };
        let Ok(pattern) = self.pattern_element() else {
            return Ok(None);
        };
        if pattern.chain.is_empty()
            && variable.is_none()
            && !(self.at_kw("WHERE") || self.at_punct("|"))
        {
            return Ok(None);
        }
        let filter = if self.eat_kw("WHERE") {
            Some(Box::new(self.with_bar(true, |p| p.expr())?))
        } else {
            None
        };
        if !self.eat_punct("|") {
            if filter.is_none() {
                return Ok(None);
            }
            return Err(self.error());
        }
        let map = Box::new(self.expr()?);
        self.expect_punct("]")?;
        Ok(Some(
            ExprKind::PatternComprehension {
                variable,
                pattern: Box::new(pattern),
                filter,
                map,
            }
            .with(start.to(self.prev)),
        ))
    }
}

impl ExprKind {
    fn with(self, span: Span) -> Expr {
        Expr::new(self, span)
    }
}
