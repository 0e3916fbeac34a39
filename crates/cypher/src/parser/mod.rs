//! Hand-written recursive-descent parser: statements and clauses here, patterns in
//! [`pattern`], expressions (precedence climbing) in [`expr`].
//!
//! Owns: the grammar of read and updating queries, recognising schema / admin / transaction
//! commands by their leading keywords, syntax errors with the furthest position reached and
//! everything that would have been accepted there, and a nesting limit so no input can exhaust
//! the stack. Does not own: deciding what is allowed (the gate) or dialect rewrites.

mod expr;
mod pattern;

use std::collections::BTreeSet;

use crate::ast::*;
use crate::error::ParseError;
use crate::lexer::{Tok, Token, tokenize};

/// Deepest nesting of brackets, subqueries and prefix operators accepted (each level costs the
/// recursive parser stack frames; see [`PARSER_STACK`]).
pub const MAX_DEPTH: u32 = 64;

/// Deepest syntax tree accepted: nesting plus the links of operator and postfix chains
/// (`a + b + …`, `x.a.b…`), which the parser builds in a loop but printers and translators walk
/// recursively.
pub const MAX_TREE_DEPTH: u32 = 128;

/// Words that start a clause.
const CLAUSE_STARTS: &[&str] = &[
    "MATCH", "OPTIONAL", "UNWIND", "WITH", "RETURN", "CALL", "CREATE", "MERGE", "SET", "DELETE",
    "DETACH", "REMOVE", "FOREACH", "LOAD",
];

/// Stack for the parsing thread: unoptimised builds spend tens of KiB per nesting level, more
/// than a 2 MiB worker thread has to spare at [`MAX_DEPTH`]. Only touched pages are committed.
const PARSER_STACK: usize = 32 << 20;

/// Nesting the first attempt allows on the caller's own thread: at tens of KiB per level in
/// unoptimised builds, well inside any thread's stack (tested on a 512 KiB thread). Queries
/// analysts write nest a handful of levels; deeper ones are parsed again on a large stack.
pub const SHALLOW_DEPTH: u32 = 12;

/// Parses a text of one or more `;`-separated statements.
///
/// Parses on the caller's thread with nesting bounded by [`SHALLOW_DEPTH`], which keeps the
/// stack use small whatever the input; only a text nested deeper than that is parsed again on a
/// short-lived thread with a large stack (up to [`MAX_DEPTH`]), so the caller's stack size never
/// matters and ordinary queries spawn no thread.
pub fn parse(text: &str) -> Result<Query, ParseError> {
    let toks = tokenize(text)?;
    match parse_tokens(text, toks, SHALLOW_DEPTH) {
        (Err(_), true, toks) => deep_parse(text, toks),
        (result, _, _) => result,
    }
}

fn deep_parse(text: &str, toks: Vec<Token>) -> Result<Query, ParseError> {
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("cypher-parse".into())
            .stack_size(PARSER_STACK);
        let shared = &toks;
        match worker.spawn_scoped(scope, move || {
            parse_tokens(text, shared.clone(), MAX_DEPTH).0
        }) {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => parse_tokens(text, toks.clone(), SHALLOW_DEPTH).0,
        }
    })
}

/// Parses with nesting bounded by `max_depth`; the flag says whether that bound was reached, and
/// the tokens come back for another attempt.
fn parse_tokens(
    text: &str,
    toks: Vec<Token>,
    max_depth: u32,
) -> (Result<Query, ParseError>, bool, Vec<Token>) {
    let mut p = Parser {
        src: text,
        toks,
        pos: 0,
        depth: 0,
        max_depth,
        hit_max_depth: false,
        tree: 0,
        bar_ends_filter: false,
        furthest: 0,
        expected: BTreeSet::new(),
        prev: Span::default(),
    };
    let result = p.query();
    (result, p.hit_max_depth, std::mem::take(&mut p.toks))
}

type PResult<T> = Result<T, ParseError>;

pub(crate) struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    depth: u32,
    /// Nesting allowed in this attempt ([`SHALLOW_DEPTH`] or [`MAX_DEPTH`]).
    max_depth: u32,
    /// Set when `max_depth` refused some nesting.
    hit_max_depth: bool,
    tree: u32,
    /// Inside a comprehension's `WHERE`, where `|` starts the mapping, not a label alternative.
    bar_ends_filter: bool,
    furthest: usize,
    expected: BTreeSet<String>,
    prev: Span,
}

impl Parser<'_> {
    // ---- token helpers ----

    fn peek(&self) -> &Token {
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }
    fn peek_at(&self, n: usize) -> &Tok {
        &self.toks[(self.pos + n).min(self.toks.len() - 1)].tok
    }
    fn span(&self) -> Span {
        self.peek().span
    }
    fn advance(&mut self) -> Token {
        let t = self.peek().clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        self.prev = t.span;
        t
    }
    /// Records that `what` would have been accepted at the current position.
    fn note(&mut self, what: &str) {
        if self.pos > self.furthest {
            self.furthest = self.pos;
            self.expected.clear();
        }
        if self.pos == self.furthest {
            self.expected.insert(what.to_string());
        }
    }
    fn is_kw_at(&self, n: usize, kw: &str) -> bool {
        matches!(self.peek_at(n), Tok::Ident(s) if s.eq_ignore_ascii_case(kw))
    }
    /// Current token is keyword `kw` (records the expectation otherwise).
    fn at_kw(&mut self, kw: &str) -> bool {
        let yes = self.is_kw_at(0, kw);
        if !yes {
            self.note(&format!("'{kw}'"));
        }
        yes
    }
    fn eat_kw(&mut self, kw: &str) -> bool {
        let yes = self.at_kw(kw);
        if yes {
            self.advance();
        }
        yes
    }
    fn expect_kw(&mut self, kw: &str) -> PResult<Span> {
        if self.eat_kw(kw) {
            Ok(self.prev)
        } else {
            Err(self.error())
        }
    }
    fn is_punct_at(&self, n: usize, p: &str) -> bool {
        matches!(self.peek_at(n), Tok::Punct(q) if *q == p)
    }
    /// Current token is `p`, or — for `-` and `<` — a compound token starting with it (`<-` when
    /// `<` is wanted in `a<-1`, `--` when `-` is wanted in `(a)--(b)`).
    fn at_punct(&mut self, p: &str) -> bool {
        let splits = |q: &str| matches!((p, q), ("-", "--" | "->") | ("<", "<-"));
        let yes = matches!(self.peek_at(0), Tok::Punct(q) if *q == p || splits(q));
        if !yes {
            self.note(&format!("'{p}'"));
        }
        yes
    }
    fn eat_punct(&mut self, p: &'static str) -> bool {
        if !self.at_punct(p) {
            return false;
        }
        let tok = self.peek().clone();
        if let Tok::Punct(q) = tok.tok
            && q != p
        {
            // Split the compound token: `p` now, the rest stays current.
            let rest: &'static str = &q[p.len()..];
            let cut = tok.span.start + p.len();
            let rest_tok = Token {
                tok: Tok::Punct(rest),
                span: Span {
                    start: cut,
                    end: tok.span.end,
                    line: tok.span.line,
                    column: tok.span.column + p.len() as u32,
                },
            };
            self.toks[self.pos] = Token {
                tok: Tok::Punct(p),
                span: Span {
                    end: cut,
                    ..tok.span
                },
            };
            self.toks.insert(self.pos + 1, rest_tok);
        }
        self.advance();
        true
    }
    fn expect_punct(&mut self, p: &'static str) -> PResult<Span> {
        if self.eat_punct(p) {
            Ok(self.prev)
        } else {
            Err(self.error())
        }
    }
    fn at_eof(&self) -> bool {
        self.peek().tok == Tok::Eof
    }

    /// The error at the furthest position reached, with everything expected there.
    fn error(&mut self) -> ParseError {
        if self.pos > self.furthest {
            self.furthest = self.pos;
            self.expected.clear();
        }
        let tok = &self.toks[self.furthest.min(self.toks.len() - 1)];
        ParseError {
            message: format!("unexpected {}", tok.describe()),
            span: tok.span,
            found: self
                .src
                .get(tok.span.start..tok.span.end)
                .unwrap_or_default()
                .to_string(),
            expected: self.expected.iter().cloned().collect(),
        }
    }
    fn custom(&self, message: String, span: Span) -> ParseError {
        ParseError {
            message,
            span,
            found: self
                .src
                .get(span.start..span.end)
                .unwrap_or_default()
                .to_string(),
            expected: Vec::new(),
        }
    }
    fn too_deep(&self) -> ParseError {
        self.custom(format!("query nested too deeply (more than {MAX_DEPTH} levels of brackets or {MAX_TREE_DEPTH} chained operators)"), self.span())
    }
    /// One more link in an operator or postfix chain (undone by [`Self::unlink`]).
    fn link(&mut self) -> PResult<()> {
        self.tree += 1;
        if self.tree > MAX_TREE_DEPTH {
            return Err(self.too_deep());
        }
        Ok(())
    }
    fn unlink(&mut self, links: u32) {
        self.tree = self.tree.saturating_sub(links);
    }
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        self.depth += 1;
        self.tree += 1;
        self.hit_max_depth |= self.depth > self.max_depth;
        let r = if self.depth > self.max_depth || self.tree > MAX_TREE_DEPTH {
            Err(self.too_deep())
        } else {
            f(self)
        };
        self.depth -= 1;
        self.tree -= 1;
        r
    }
    /// Runs `f` with `|` meaning "end of comprehension filter" (`on`) or not.
    fn with_bar<T>(&mut self, on: bool, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        let saved = std::mem::replace(&mut self.bar_ends_filter, on);
        let r = f(self);
        self.bar_ends_filter = saved;
        r
    }
    fn save(&self) -> (usize, Span) {
        (self.pos, self.prev)
    }
    fn restore(&mut self, saved: (usize, Span)) {
        (self.pos, self.prev) = saved;
    }

    /// Any name: identifier (keywords included) or backticked.
    fn ident(&mut self) -> PResult<Ident> {
        match self.peek().tok.clone() {
            Tok::Ident(name) | Tok::Quoted(name) => {
                let span = self.advance().span;
                Ok(Ident { name, span })
            }
            _ => {
                self.note("identifier");
                Err(self.error())
            }
        }
    }

    // ---- statements ----

    fn query(&mut self) -> PResult<Query> {
        let mut statements = Vec::new();
        loop {
            while self.eat_punct(";") {}
            if self.at_eof() {
                break;
            }
            statements.push(self.statement()?);
            if self.at_eof() {
                break;
            }
            if !self.at_punct(";") {
                return Err(self.error());
            }
        }
        if statements.is_empty() {
            self.note("a statement");
            let mut e = self.error();
            e.message = "empty query".into();
            return Err(e);
        }
        Ok(Query { statements })
    }

    fn statement(&mut self) -> PResult<Statement> {
        let start = self.span();
        let prefix = if self.eat_kw("EXPLAIN") {
            Some(StatementPrefix::Explain)
        } else if self.eat_kw("PROFILE") {
            Some(StatementPrefix::Profile)
        } else {
            None
        };
        let body = match self.command_kind() {
            Some((kind, words)) => StatementBody::Command(self.command(kind, words)),
            None => StatementBody::Query(self.regular_query()?),
        };
        Ok(Statement {
            prefix,
            body,
            span: start.to(self.prev),
        })
    }

    /// Recognises a command by its leading keywords: `(kind, how many words name it)`.
    fn command_kind(&self) -> Option<(CommandKind, usize)> {
        let word = |n: usize| match self.peek_at(n) {
            Tok::Ident(s) => s.to_ascii_uppercase(),
            _ => String::new(),
        };
        let (first, second) = (word(0), word(1));
        let schema_objects = [
            "INDEX",
            "CONSTRAINT",
            "NODE",
            "REL",
            "TABLE",
            "SEQUENCE",
            "MACRO",
            "TYPE",
            "RANGE",
            "TEXT",
            "POINT",
            "LOOKUP",
            "FULLTEXT",
            "VECTOR",
            "BTREE",
            "UNIQUE",
            "GRAPH",
        ];
        let admin_objects = [
            "DATABASE",
            "USER",
            "ROLE",
            "ALIAS",
            "COMPOSITE",
            "OR",
            "SERVER",
        ];
        match first.as_str() {
            "BEGIN" | "COMMIT" | "ROLLBACK" | "CHECKPOINT" => {
                let two = ["TRANSACTION", "WORK"].contains(&second.as_str());
                Some((CommandKind::Transaction, if two { 2 } else { 1 }))
            }
            "USING" if second == "PERIODIC" => Some((CommandKind::Transaction, 3)),
            "CREATE" if schema_objects.contains(&second.as_str()) => {
                let third = word(2);
                let three = ["NODE", "REL"].contains(&second.as_str())
                    && ["TABLE", "GROUP"].contains(&third.as_str());
                Some((CommandKind::Schema, if three { 3 } else { 2 }))
            }
            "CREATE" if admin_objects.contains(&second.as_str()) => Some((CommandKind::Admin, 2)),
            // Named by their keywords only, never by the user's object names (`COPY`, not
            // `COPY CITY`): the second word counts when it is itself a keyword.
            "DROP" | "ALTER" | "RENAME" | "COMMENT" => {
                let keyword = schema_objects.contains(&second.as_str())
                    || admin_objects.contains(&second.as_str());
                Some((CommandKind::Schema, if keyword { 2 } else { 1 }))
            }
            "SHOW" | "GRANT" | "REVOKE" | "DENY" | "START" | "STOP" | "TERMINATE" | "EXPORT"
            | "IMPORT" | "ENABLE" | "DEALLOCATE" | "DRYRUN" => {
                Some((CommandKind::Admin, if second.is_empty() { 1 } else { 2 }))
            }
            "COPY" | "INSTALL" | "UNINSTALL" | "ATTACH" | "USE" => Some((CommandKind::Admin, 1)),
            "DETACH" if second != "DELETE" => Some((CommandKind::Admin, 1)),
            "LOAD" if second != "CSV" => {
                Some((CommandKind::Admin, if second.is_empty() { 1 } else { 2 }))
            }
            // Kùzu configuration: `CALL threads = 4`.
            "CALL" if matches!(self.peek_at(1), Tok::Ident(_)) && self.is_punct_at(2, "=") => {
                Some((CommandKind::Admin, 2))
            }
            _ => None,
        }
    }

    /// Consumes a command to the end of its statement (brackets balanced).
    fn command(&mut self, kind: CommandKind, words: usize) -> Command {
        let start = self.span();
        let mut name = Vec::new();
        for i in 0..words {
            if let Tok::Ident(s) = &self.peek().tok {
                // `CALL threads = 4`: the setting keeps its spelling.
                let setting = i == 1 && name.first().is_some_and(|w| w == "CALL");
                name.push(if setting {
                    s.clone()
                } else {
                    s.to_ascii_uppercase()
                });
                self.advance();
            }
        }
        let mut depth = 0i32;
        while !self.at_eof() {
            match self.peek().tok {
                Tok::Punct(";") if depth <= 0 => break,
                Tok::Punct("(" | "[" | "{") => depth += 1,
                Tok::Punct(")" | "]" | "}") => depth -= 1,
                _ => {}
            }
            self.advance();
        }
        Command {
            kind,
            name: name.join(" "),
            span: start.to(self.prev),
        }
    }

    pub(crate) fn regular_query(&mut self) -> PResult<RegularQuery> {
        self.nested(|p| {
            let start = p.span();
            let first = p.single_query()?;
            let mut unions = Vec::new();
            while p.at_kw("UNION") {
                let span = p.advance().span;
                let all = p.eat_kw("ALL");
                unions.push(Union {
                    all,
                    query: p.single_query()?,
                    span,
                });
            }
            Ok(RegularQuery {
                first,
                unions,
                span: start.to(p.prev),
            })
        })
    }

    fn at_clause_start(&mut self) -> bool {
        let yes = CLAUSE_STARTS.iter().any(|k| self.is_kw_at(0, k));
        if !yes {
            self.note("a clause (MATCH, WITH, RETURN, …)");
        }
        yes
    }

    fn single_query(&mut self) -> PResult<SingleQuery> {
        let start = self.span();
        let mut clauses = Vec::new();
        while self.at_clause_start() {
            clauses.push(self.clause()?);
        }
        if clauses.is_empty() {
            return Err(self.error());
        }
        Ok(SingleQuery {
            clauses,
            span: start.to(self.prev),
        })
    }

    fn clause(&mut self) -> PResult<Clause> {
        let start = self.span();
        let word = match &self.peek().tok {
            Tok::Ident(s) => s.to_ascii_uppercase(),
            _ => String::new(),
        };
        self.advance();
        let kind = match word.as_str() {
            "OPTIONAL" => {
                self.expect_kw("MATCH")?;
                self.match_clause(true)?
            }
            "MATCH" => self.match_clause(false)?,
            "UNWIND" => {
                let expr = self.expr()?;
                self.expect_kw("AS")?;
                ClauseKind::Unwind {
                    expr,
                    alias: self.ident()?,
                }
            }
            "WITH" => ClauseKind::With(self.projection(true)?),
            "RETURN" => ClauseKind::Return(self.projection(false)?),
            "CALL" => self.call_clause()?,
            "CREATE" => ClauseKind::Create {
                patterns: self.patterns()?,
            },
            "MERGE" => {
                let pattern = self.path_pattern()?;
                let mut actions = Vec::new();
                while self.eat_kw("ON") {
                    let on_create = if self.eat_kw("CREATE") {
                        true
                    } else {
                        self.expect_kw("MATCH")?;
                        false
                    };
                    self.expect_kw("SET")?;
                    actions.push((on_create, self.set_items(false)?));
                }
                ClauseKind::Merge { pattern, actions }
            }
            "SET" => ClauseKind::Set {
                items: self.set_items(false)?,
            },
            "REMOVE" => ClauseKind::Remove {
                items: self.set_items(true)?,
            },
            "DELETE" => ClauseKind::Delete {
                detach: false,
                exprs: self.expr_list()?,
            },
            "DETACH" => {
                self.expect_kw("DELETE")?;
                ClauseKind::Delete {
                    detach: true,
                    exprs: self.expr_list()?,
                }
            }
            "FOREACH" => {
                self.expect_punct("(")?;
                let variable = self.ident()?;
                self.expect_kw("IN")?;
                let list = self.expr()?;
                self.expect_punct("|")?;
                let mut clauses = Vec::new();
                while self.at_clause_start() {
                    clauses.push(self.nested(|p| p.clause())?);
                }
                self.expect_punct(")")?;
                ClauseKind::Foreach {
                    variable,
                    list,
                    clauses,
                }
            }
            _ => {
                // LOAD CSV (other LOADs are commands).
                self.expect_kw("CSV")?;
                let with_headers = self.eat_kw("WITH");
                if with_headers {
                    self.expect_kw("HEADERS")?;
                }
                self.expect_kw("FROM")?;
                let from = self.expr()?;
                self.expect_kw("AS")?;
                let alias = self.ident()?;
                let field_terminator = if self.eat_kw("FIELDTERMINATOR") {
                    match self.peek().tok.clone() {
                        Tok::Str(s) => {
                            self.advance();
                            Some(s)
                        }
                        _ => {
                            self.note("string literal");
                            return Err(self.error());
                        }
                    }
                } else {
                    None
                };
                ClauseKind::LoadCsv {
                    with_headers,
                    from,
                    alias,
                    field_terminator,
                }
            }
        };
        Ok(Clause {
            kind,
            span: start.to(self.prev),
        })
    }

    fn match_clause(&mut self, optional: bool) -> PResult<ClauseKind> {
        let patterns = self.patterns()?;
        let where_ = if self.eat_kw("WHERE") {
            Some(self.expr()?)
        } else {
            None
        };
        Ok(ClauseKind::Match {
            optional,
            patterns,
            where_,
        })
    }

    fn expr_list(&mut self) -> PResult<Vec<Expr>> {
        let mut out = vec![self.expr()?];
        while self.eat_punct(",") {
            out.push(self.expr()?);
        }
        Ok(out)
    }

    fn projection(&mut self, with: bool) -> PResult<Projection> {
        let distinct = self.eat_kw("DISTINCT");
        let star = self.eat_punct("*");
        let mut items = Vec::new();
        if !star || self.eat_punct(",") {
            loop {
                let expr = self.expr()?;
                let alias = if self.eat_kw("AS") {
                    Some(self.ident()?)
                } else {
                    None
                };
                items.push(ProjectionItem { expr, alias });
                if !self.eat_punct(",") {
                    break;
                }
            }
        }
        let mut order_by = Vec::new();
        if self.eat_kw("ORDER") {
            self.expect_kw("BY")?;
            loop {
                let expr = self.expr()?;
                let descending = if self.eat_kw("DESC") || self.eat_kw("DESCENDING") {
                    true
                } else {
                    let _ = self.eat_kw("ASC") || self.eat_kw("ASCENDING");
                    false
                };
                order_by.push(SortItem { expr, descending });
                if !self.eat_punct(",") {
                    break;
                }
            }
        }
        let skip = if self.eat_kw("SKIP") || self.eat_kw("OFFSET") {
            Some(self.expr()?)
        } else {
            None
        };
        let limit = if self.eat_kw("LIMIT") {
            Some(self.expr()?)
        } else {
            None
        };
        let where_ = if with && self.eat_kw("WHERE") {
            Some(self.expr()?)
        } else {
            None
        };
        Ok(Projection {
            distinct,
            star,
            items,
            order_by,
            skip,
            limit,
            where_,
        })
    }

    fn call_clause(&mut self) -> PResult<ClauseKind> {
        if self.eat_punct("{") {
            let query = Box::new(self.regular_query()?);
            self.expect_punct("}")?;
            let mut in_transactions = false;
            if self.eat_kw("IN") {
                // `IN [CONCURRENT] [n ROWS OF] TRANSACTIONS [OF n ROWS] [ON ERROR …] [REPORT STATUS AS v]`
                while !self.at_eof() && !self.eat_kw("TRANSACTIONS") {
                    self.advance();
                }
                in_transactions = true;
                while matches!(self.peek().tok, Tok::Int(_) | Tok::Param(_))
                    || [
                        "OF", "ROWS", "ROW", "ON", "ERROR", "CONTINUE", "BREAK", "FAIL", "REPORT",
                        "STATUS",
                    ]
                    .iter()
                    .any(|k| self.is_kw_at(0, k))
                {
                    self.advance();
                }
            }
            return Ok(ClauseKind::CallSubquery {
                query,
                in_transactions,
            });
        }
        let mut name = vec![self.ident()?];
        while self.eat_punct(".") {
            name.push(self.ident()?);
        }
        let args = if self.eat_punct("(") {
            let mut args = Vec::new();
            if !self.eat_punct(")") {
                args = self.expr_list()?;
                self.expect_punct(")")?;
            }
            Some(args)
        } else {
            None
        };
        let (mut yield_items, mut yield_star, mut where_) = (None, false, None);
        if self.eat_kw("YIELD") {
            if self.eat_punct("*") {
                yield_star = true;
            } else {
                let mut items = Vec::new();
                loop {
                    let field = self.ident()?;
                    let alias = if self.eat_kw("AS") {
                        Some(self.ident()?)
                    } else {
                        None
                    };
                    items.push((field, alias));
                    if !self.eat_punct(",") {
                        break;
                    }
                }
                yield_items = Some(items);
            }
            if self.eat_kw("WHERE") {
                where_ = Some(self.expr()?);
            }
        }
        Ok(ClauseKind::CallProcedure(ProcedureCall {
            name,
            args,
            yield_items,
            yield_star,
            where_,
        }))
    }

    fn set_items(&mut self, remove: bool) -> PResult<Vec<SetItem>> {
        let mut items = Vec::new();
        loop {
            let variable = self.ident()?;
            let item = if self.at_punct(":") {
                let mut labels = Vec::new();
                while self.eat_punct(":") {
                    labels.push(self.ident()?);
                }
                SetItem::Labels { variable, labels }
            } else if self.at_punct(".") {
                let mut target = Expr::new(ExprKind::Variable(variable.clone()), variable.span);
                while self.eat_punct(".") {
                    let key = self.ident()?;
                    let span = target.span.to(key.span);
                    target = Expr::new(ExprKind::Property(Box::new(target), key), span);
                }
                let value = if remove {
                    None
                } else {
                    self.expect_punct("=")?;
                    Some(self.expr()?)
                };
                SetItem::Property { target, value }
            } else if !remove && (self.is_punct_at(0, "=") || self.is_punct_at(0, "+=")) {
                let merge = self.advance().tok == Tok::Punct("+=");
                SetItem::Variable {
                    variable,
                    value: self.expr()?,
                    merge,
                }
            } else {
                self.note("'='");
                self.note("'+='");
                return Err(self.error());
            };
            items.push(item);
            if !self.eat_punct(",") {
                return Ok(items);
            }
        }
    }
}
