//! Patterns: paths, nodes, relationships, label expressions.

use super::{PResult, Parser};
use crate::ast::*;
use crate::lexer::Tok;

impl Parser<'_> {
    pub(super) fn patterns(&mut self) -> PResult<Vec<PathPattern>> {
        let mut out = vec![self.path_pattern()?];
        while self.eat_punct(",") {
            out.push(self.path_pattern()?);
        }
        Ok(out)
    }

    pub(super) fn path_pattern(&mut self) -> PResult<PathPattern> {
        let start = self.span();
        let variable = if matches!(self.peek().tok, Tok::Ident(_) | Tok::Quoted(_))
            && self.is_punct_at(1, "=")
        {
            let v = self.ident()?;
            self.advance();
            Some(v)
        } else {
            None
        };
        let shortest = if self.is_punct_at(1, "(") && self.is_kw_at(0, "shortestPath") {
            Some(Shortest::One)
        } else if self.is_punct_at(1, "(") && self.is_kw_at(0, "allShortestPaths") {
            Some(Shortest::All)
        } else {
            None
        };
        if shortest.is_some() {
            self.advance();
            self.advance();
        }
        let element = self.pattern_element()?;
        if shortest.is_some() {
            self.expect_punct(")")?;
        }
        Ok(PathPattern {
            variable,
            shortest,
            element,
            span: start.to(self.prev),
        })
    }

    pub(super) fn pattern_element(&mut self) -> PResult<PatternElement> {
        self.nested(|p| {
            let start = p.node_pattern()?;
            let mut chain = Vec::new();
            while p.at_punct("-") || p.at_punct("<") {
                let rel = p.rel_pattern()?;
                chain.push((rel, p.node_pattern()?));
            }
            Ok(PatternElement { start, chain })
        })
    }

    fn node_pattern(&mut self) -> PResult<NodePattern> {
        let start = self.expect_punct("(")?;
        let variable = match &self.peek().tok {
            Tok::Ident(s) if !s.eq_ignore_ascii_case("WHERE") => Some(self.ident()?),
            Tok::Quoted(_) => Some(self.ident()?),
            _ => None,
        };
        let labels = if self.eat_punct(":") {
            Some(self.label_expr()?)
        } else {
            None
        };
        let properties = self.pattern_properties()?;
        let where_ = if self.eat_kw("WHERE") {
            Some(self.expr()?)
        } else {
            None
        };
        self.expect_punct(")")?;
        Ok(NodePattern {
            variable,
            labels,
            properties,
            where_,
            span: start.to(self.prev),
        })
    }

    fn pattern_properties(&mut self) -> PResult<Option<Expr>> {
        if self.at_punct("{") {
            return Ok(Some(self.map_literal()?));
        }
        if let Tok::Param(name) = self.peek().tok.clone() {
            let span = self.advance().span;
            return Ok(Some(Expr::new(ExprKind::Parameter(name), span)));
        }
        Ok(None)
    }

    fn rel_pattern(&mut self) -> PResult<RelPattern> {
        let start = self.span();
        let left = if self.eat_punct("<-") {
            true
        } else {
            // `<` `-` written apart, or a plain `-`.
            let lt = self.eat_punct("<");
            self.expect_punct("-")?;
            lt
        };
        let mut rel = RelPattern {
            direction: Direction::Both,
            bracketed: false,
            variable: None,
            types: None,
            length: None,
            properties: None,
            where_: None,
            span: start,
        };
        if self.eat_punct("[") {
            rel.bracketed = true;
            rel.variable = match &self.peek().tok {
                Tok::Ident(s) if !s.eq_ignore_ascii_case("WHERE") => Some(self.ident()?),
                Tok::Quoted(_) => Some(self.ident()?),
                _ => None,
            };
            if self.eat_punct(":") {
                rel.types = Some(self.label_expr()?);
            }
            if self.eat_punct("*") {
                rel.length = Some(self.var_length()?);
            }
            rel.properties = self.pattern_properties()?;
            if self.eat_kw("WHERE") {
                rel.where_ = Some(self.expr()?);
            }
            self.expect_punct("]")?;
        }
        let right = if self.eat_punct("->") {
            true
        } else {
            self.expect_punct("-")?;
            self.eat_punct(">")
        };
        rel.direction = match (left, right) {
            (true, false) => Direction::Left,
            (false, true) => Direction::Right,
            _ => Direction::Both,
        };
        rel.span = start.to(self.prev);
        Ok(rel)
    }

    fn var_length(&mut self) -> PResult<VarLength> {
        let mut len = VarLength {
            min: None,
            max: None,
            exact: false,
            shortest: None,
        };
        if self.eat_kw("ALL") {
            self.expect_kw("SHORTEST")?;
            len.shortest = Some(Shortest::All);
        } else if self.eat_kw("SHORTEST") {
            len.shortest = Some(Shortest::One);
        }
        len.min = self.opt_uint()?;
        if self.eat_punct("..") {
            len.max = self.opt_uint()?;
        } else if len.min.is_some() {
            len.exact = true;
            len.max = len.min;
        }
        Ok(len)
    }

    fn opt_uint(&mut self) -> PResult<Option<u64>> {
        match self.peek().tok.clone() {
            Tok::Int(s) => {
                let span = self.advance().span;
                s.replace('_', "")
                    .parse()
                    .map(Some)
                    .map_err(|_| self.custom(format!("invalid path length '{s}'"), span))
            }
            _ => {
                self.note("integer");
                Ok(None)
            }
        }
    }

    /// After a `:`: `A|B`, `A&B`, `!A`, `%`, `(…)`, and further `:C` as conjunction.
    pub(super) fn label_expr(&mut self) -> PResult<LabelExpr> {
        self.label_expr_in(false)
    }

    /// In an expression (`x:A|B`); directly inside a comprehension's filter `|` starts the
    /// mapping instead (`[x IN l WHERE x:A | x.name]`; write `x:(A|B)` there).
    pub(super) fn label_expr_in(&mut self, expression: bool) -> PResult<LabelExpr> {
        let mut parts = vec![self.label_or(expression)?];
        while self.is_punct_at(0, ":")
            && matches!(
                self.peek_at(1),
                Tok::Ident(_) | Tok::Quoted(_) | Tok::Punct("!" | "%" | "(")
            )
        {
            self.advance();
            parts.push(self.label_or(expression)?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            LabelExpr::And(parts)
        })
    }

    fn label_or(&mut self, expression: bool) -> PResult<LabelExpr> {
        let mut parts = vec![self.label_and()?];
        while self.is_punct_at(0, "|") {
            if expression && self.bar_ends_filter {
                break;
            }
            self.advance();
            let _ = self.eat_punct(":");
            parts.push(self.label_and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            LabelExpr::Or(parts)
        })
    }

    fn label_and(&mut self) -> PResult<LabelExpr> {
        let mut parts = vec![self.label_atom()?];
        while self.eat_punct("&") {
            parts.push(self.label_atom()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            LabelExpr::And(parts)
        })
    }

    fn label_atom(&mut self) -> PResult<LabelExpr> {
        self.nested(|p| {
            if p.eat_punct("!") {
                return Ok(LabelExpr::Not(Box::new(p.label_atom()?)));
            }
            if p.eat_punct("%") {
                return Ok(LabelExpr::Wildcard);
            }
            if p.eat_punct("(") {
                let inner = p.label_or(false)?;
                p.expect_punct(")")?;
                return Ok(inner);
            }
            p.note("label");
            Ok(LabelExpr::Name(p.ident()?))
        })
    }
}
