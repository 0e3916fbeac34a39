//! Cypher lexing and the read-only gate applied to user statements before the engine sees them.
//!
//! Owns: a real tokenizer for Cypher text (string literals with escapes, `//` and `/* */`
//! comments, backticked identifiers, parameters), splitting into statements on `;`, and the
//! classification of updating / administrative clauses on *tokens*, with line and column.
//! Does not own: parsing the full grammar (the engine does that and reports syntax errors) or
//! running anything. The engine additionally runs every user statement inside a read-only
//! transaction, so this gate is the first of two lines of defence.

use std::fmt;

/// Kind of a lexical token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Unquoted identifier or keyword (`MATCH`, `n`, `created_at`).
    Ident,
    /// Backticked identifier (`` `SET` ``): never a keyword.
    QuotedIdent,
    /// String literal in single or double quotes.
    Str,
    /// Numeric literal.
    Number,
    /// Parameter (`$name` or `$1`).
    Param,
    /// Statement separator `;`.
    Semicolon,
    /// Any other punctuation or operator character sequence.
    Punct,
}

/// One token with its position (1-based line and column, columns counted in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Token kind.
    pub kind: TokenKind,
    /// Source text of the token (for identifiers, without backticks).
    pub text: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

/// A lexical error (unterminated string, comment or backticked identifier).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexError {
    /// What is wrong.
    pub message: String,
    /// 1-based line where the offending construct starts.
    pub line: usize,
    /// 1-based column where the offending construct starts.
    pub column: usize,
}

impl fmt::Display for LexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (line {}, column {})",
            self.message, self.line, self.column
        )
    }
}

struct Cursor<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
    column: usize,
}

impl Cursor<'_> {
    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }
    fn peek2(&self) -> Option<char> {
        let mut it = self.chars.clone();
        it.next();
        it.next()
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }
}

/// Splits Cypher text into tokens, dropping whitespace and comments.
pub fn tokenize(text: &str) -> Result<Vec<Token>, LexError> {
    let mut cur = Cursor {
        chars: text.chars().peekable(),
        line: 1,
        column: 1,
    };
    let mut out = Vec::new();
    while let Some(c) = cur.peek() {
        let (line, column) = (cur.line, cur.column);
        if c.is_whitespace() {
            cur.bump();
            continue;
        }
        if c == '/' && cur.peek2() == Some('/') {
            while let Some(c) = cur.peek() {
                if c == '\n' {
                    break;
                }
                cur.bump();
            }
            continue;
        }
        if c == '/' && cur.peek2() == Some('*') {
            cur.bump();
            cur.bump();
            let mut closed = false;
            while let Some(c) = cur.bump() {
                if c == '*' && cur.peek() == Some('/') {
                    cur.bump();
                    closed = true;
                    break;
                }
            }
            if !closed {
                return Err(LexError {
                    message: "unterminated comment".into(),
                    line,
                    column,
                });
            }
            continue;
        }
        if c == '\'' || c == '"' {
            let quote = c;
            cur.bump();
            let mut value = String::new();
            let mut closed = false;
            while let Some(c) = cur.bump() {
                if c == '\\' {
                    match cur.bump() {
                        Some(escaped) => {
                            value.push('\\');
                            value.push(escaped);
                        }
                        None => break,
                    }
                } else if c == quote {
                    closed = true;
                    break;
                } else {
                    value.push(c);
                }
            }
            if !closed {
                return Err(LexError {
                    message: "unterminated string literal".into(),
                    line,
                    column,
                });
            }
            out.push(Token {
                kind: TokenKind::Str,
                text: value,
                line,
                column,
            });
            continue;
        }
        if c == '`' {
            cur.bump();
            let mut value = String::new();
            let mut closed = false;
            while let Some(c) = cur.bump() {
                if c == '`' {
                    if cur.peek() == Some('`') {
                        cur.bump();
                        value.push('`');
                    } else {
                        closed = true;
                        break;
                    }
                } else {
                    value.push(c);
                }
            }
            if !closed {
                return Err(LexError {
                    message: "unterminated backticked identifier".into(),
                    line,
                    column,
                });
            }
            out.push(Token {
                kind: TokenKind::QuotedIdent,
                text: value,
                line,
                column,
            });
            continue;
        }
        if c == '$' {
            cur.bump();
            let mut value = String::from("$");
            while let Some(c) = cur.peek() {
                if c.is_alphanumeric() || c == '_' {
                    value.push(c);
                    cur.bump();
                } else {
                    break;
                }
            }
            out.push(Token {
                kind: TokenKind::Param,
                text: value,
                line,
                column,
            });
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let mut value = String::new();
            while let Some(c) = cur.peek() {
                if c.is_alphanumeric() || c == '_' {
                    value.push(c);
                    cur.bump();
                } else {
                    break;
                }
            }
            out.push(Token {
                kind: TokenKind::Ident,
                text: value,
                line,
                column,
            });
            continue;
        }
        if c.is_ascii_digit() {
            let mut value = String::new();
            while let Some(c) = cur.peek() {
                let fraction = c == '.' && cur.peek2().is_some_and(|d| d.is_ascii_digit());
                if c.is_ascii_alphanumeric() || c == '_' || fraction {
                    value.push(c);
                    cur.bump();
                } else {
                    break;
                }
            }
            out.push(Token {
                kind: TokenKind::Number,
                text: value,
                line,
                column,
            });
            continue;
        }
        cur.bump();
        let kind = if c == ';' {
            TokenKind::Semicolon
        } else {
            TokenKind::Punct
        };
        out.push(Token {
            kind,
            text: c.to_string(),
            line,
            column,
        });
    }
    Ok(out)
}

/// Why a statement was refused by the gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateError {
    /// The text does not lex.
    Syntax(LexError),
    /// Empty text (only whitespace, comments or `;`).
    Empty,
    /// More than one statement.
    MultipleStatements,
    /// An updating or administrative clause.
    ReadOnlyViolation {
        /// The clause, upper-cased (`CREATE`, `DETACH DELETE`, `CALL create_fts_index`).
        clause: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// A construct this server deliberately does not support (e.g. `PROFILE`).
    Unsupported {
        /// Short feature token (`profile`).
        feature: String,
    },
}

/// Procedures callable from user queries: they only read metadata.
pub const READ_ONLY_PROCEDURES: &[&str] = &[
    "db.labels",
    "db.relationshiptypes",
    "db.propertykeys",
    "db.schema",
    "show_tables",
    "table_info",
    "show_connection",
    "db_version",
    "show_functions",
    "current_setting",
];

/// Keywords that are refused wherever they appear as a clause keyword.
const FORBIDDEN: &[&str] = &[
    "CREATE",
    "MERGE",
    "SET",
    "REMOVE",
    "DELETE",
    "FOREACH",
    "LOAD",
    "COPY",
    "DROP",
    "ALTER",
    "INSTALL",
    "UNINSTALL",
    "ATTACH",
    "DETACH",
    "EXPORT",
    "IMPORT",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "CHECKPOINT",
    "USE",
    "COMMENT",
    "UPDATE",
    "TRUNCATE",
];

/// Checks one user statement: exactly one statement, no updating clause, no forbidden `CALL`.
/// Returns the tokens of the statement (without a trailing `;`) when it passes.
pub fn check_read_only(text: &str) -> Result<Vec<Token>, GateError> {
    let tokens = tokenize(text).map_err(GateError::Syntax)?;
    let mut statements: Vec<Vec<Token>> = vec![Vec::new()];
    for token in tokens {
        if token.kind == TokenKind::Semicolon {
            statements.push(Vec::new());
        } else if let Some(last) = statements.last_mut() {
            last.push(token);
        }
    }
    statements.retain(|s| !s.is_empty());
    match statements.len() {
        0 => return Err(GateError::Empty),
        1 => {}
        _ => return Err(GateError::MultipleStatements),
    }
    let tokens = statements.pop().unwrap_or_default();
    classify(&tokens)?;
    Ok(tokens)
}

fn is_keyword(token: &Token, word: &str) -> bool {
    token.kind == TokenKind::Ident && token.text.eq_ignore_ascii_case(word)
}

fn classify(tokens: &[Token]) -> Result<(), GateError> {
    if let Some(first) = tokens.first()
        && is_keyword(first, "PROFILE")
    {
        return Err(GateError::Unsupported {
            feature: "profile".into(),
        });
    }
    for (i, token) in tokens.iter().enumerate() {
        if token.kind != TokenKind::Ident {
            continue;
        }
        let prev = i.checked_sub(1).map(|p| &tokens[p]);
        let next = tokens.get(i + 1);
        // Property access (`n.set`), label or type (`:Set`), map key (`{set: 1}`): not clauses.
        if prev.is_some_and(|p| p.kind == TokenKind::Punct && (p.text == "." || p.text == ":")) {
            continue;
        }
        if next.is_some_and(|n| n.kind == TokenKind::Punct && n.text == ":") {
            continue;
        }
        // An alias (`RETURN n.x AS set`) names a column; it is not a clause.
        if prev.is_some_and(|p| is_keyword(p, "AS")) {
            continue;
        }
        let upper = token.text.to_ascii_uppercase();
        if upper == "CALL" {
            check_call(tokens, i)?;
            continue;
        }
        if FORBIDDEN.contains(&upper.as_str()) {
            let clause = if upper == "DETACH" && next.is_some_and(|n| is_keyword(n, "DELETE")) {
                "DETACH DELETE".to_string()
            } else {
                upper
            };
            return Err(GateError::ReadOnlyViolation {
                clause,
                line: token.line,
                column: token.column,
            });
        }
    }
    Ok(())
}

/// `CALL { … }` subqueries are fine (their tokens are checked like the rest); `CALL name(…)` must
/// name an allow-listed procedure; `CALL option = value` changes connection settings and is refused.
fn check_call(tokens: &[Token], at: usize) -> Result<(), GateError> {
    let call = &tokens[at];
    let violation = |clause: String| GateError::ReadOnlyViolation {
        clause,
        line: call.line,
        column: call.column,
    };
    let mut j = at + 1;
    match tokens.get(j) {
        Some(t) if t.kind == TokenKind::Punct && t.text == "{" => return Ok(()),
        Some(t) if t.kind == TokenKind::Ident || t.kind == TokenKind::QuotedIdent => {}
        _ => return Err(violation("CALL".into())),
    }
    let mut name = String::new();
    while let Some(t) = tokens.get(j) {
        match t.kind {
            TokenKind::Ident | TokenKind::QuotedIdent => name.push_str(&t.text),
            TokenKind::Punct if t.text == "." => name.push('.'),
            _ => break,
        }
        j += 1;
    }
    let allowed = READ_ONLY_PROCEDURES
        .iter()
        .any(|p| p.eq_ignore_ascii_case(&name));
    let is_invocation = tokens
        .get(j)
        .is_some_and(|t| t.kind == TokenKind::Punct && t.text == "(");
    if allowed && is_invocation {
        Ok(())
    } else {
        Err(violation(format!("CALL {name}")))
    }
}

/// The result column names a statement's text implies (API.md §10.6): for each item of the
/// final top-level `RETURN` (of the first `UNION` branch), `Some(source text)` when it has no
/// alias, `None` when aliased (the engine already uses the alias). `None` overall when the
/// statement has no such `RETURN` or returns `*`.
pub fn return_item_texts(text: &str, tokens: &[Token]) -> Option<Vec<Option<String>>> {
    let chars: Vec<char> = text.chars().collect();
    let mut line_starts = vec![0usize];
    for (i, c) in chars.iter().enumerate() {
        if *c == '\n' {
            line_starts.push(i + 1);
        }
    }
    let offset = |t: &Token| line_starts.get(t.line - 1).map(|s| s + t.column - 1);
    // Depth of every token, and the extent of the first UNION branch.
    let mut depth = 0i32;
    let mut depths = Vec::with_capacity(tokens.len());
    let mut end = tokens.len();
    for (i, t) in tokens.iter().enumerate() {
        if t.kind == TokenKind::Punct && matches!(t.text.as_str(), ")" | "]" | "}") {
            depth -= 1;
        }
        depths.push(depth);
        if t.kind == TokenKind::Punct && matches!(t.text.as_str(), "(" | "[" | "{") {
            depth += 1;
        }
        if depth == 0 && is_keyword(t, "UNION") {
            end = i;
            break;
        }
    }
    let start = (0..end)
        .rev()
        .find(|&i| depths[i] == 0 && is_keyword(&tokens[i], "RETURN"))?;
    let mut first = start + 1;
    if tokens.get(first).is_some_and(|t| is_keyword(t, "DISTINCT")) {
        first += 1;
    }
    let stop = (first..end)
        .find(|&i| {
            depths[i] == 0
                && ["ORDER", "SKIP", "LIMIT"]
                    .iter()
                    .any(|k| is_keyword(&tokens[i], k))
        })
        .unwrap_or(end);
    if tokens
        .get(first)
        .is_some_and(|t| t.kind == TokenKind::Punct && t.text == "*")
    {
        return None;
    }
    let mut items = Vec::new();
    let mut item_start = first;
    for i in first..=stop {
        let boundary = i == stop
            || (depths[i] == 0 && tokens[i].kind == TokenKind::Punct && tokens[i].text == ",");
        if !boundary {
            continue;
        }
        if item_start >= i {
            return None;
        }
        let aliased = i >= item_start + 2 && depths[i - 2] == 0 && is_keyword(&tokens[i - 2], "AS");
        let from = offset(&tokens[item_start])?;
        let to = match tokens.get(i) {
            Some(t) => offset(t)?,
            None => chars.len(),
        };
        let source: String = chars
            .get(from..to)?
            .iter()
            .collect::<String>()
            .trim()
            .trim_end_matches(';')
            .trim()
            .to_string();
        items.push((!aliased).then_some(source));
        item_start = i + 1;
    }
    Some(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn violation(q: &str) -> Option<String> {
        match check_read_only(q) {
            Err(GateError::ReadOnlyViolation { clause, .. }) => Some(clause),
            Ok(_) => None,
            Err(other) => panic!("{q}: unexpected {other:?}"),
        }
    }

    #[test]
    fn harmless_words_pass() {
        for q in [
            "MATCH (n) RETURN 'CREATE'",
            "MATCH (n) RETURN n.created_at, n.set, n.is_deleted",
            "MATCH (n) RETURN offset(id(n))",
            "MATCH (n) RETURN n.`SET`",
            "RETURN \"DELETE it\" AS x",
            "MATCH (n) // SET n.x = 1\nRETURN n",
            "MATCH (n) /* CREATE (m) ; DROP TABLE x */ RETURN n;",
            "RETURN {set: 1, delete: 2} AS m",
            "MATCH (n:Set) RETURN n",
            "RETURN 'it\\'s; CREATE' AS s",
            "MATCH (n) WITH n CALL { WITH n RETURN n.x AS y } RETURN y",
            "CALL show_tables() RETURN *",
            "MATCH (n) WHERE n.name = $set RETURN n.reset",
            "RETURN 1;  ",
            "MATCH (n) RETURN n.x AS set, n.y AS delete",
        ] {
            assert_eq!(violation(q), None, "{q}");
        }
    }

    #[test]
    fn updating_clauses_are_refused_with_position() {
        let cases = [
            ("CREATE (n:X)", "CREATE"),
            ("MATCH (n) SET n.x = 1", "SET"),
            ("MATCH (n) REMOVE n.x", "REMOVE"),
            ("MATCH (n) DELETE n", "DELETE"),
            ("MATCH (n) DETACH DELETE n", "DETACH DELETE"),
            ("MERGE (n:X {id: 1})", "MERGE"),
            (
                "MATCH (n) WITH collect(n) AS ns FOREACH (x IN ns | SET x.y = 1)",
                "FOREACH",
            ),
            ("LOAD FROM '/etc/passwd' RETURN *", "LOAD"),
            ("LOAD EXTENSION json", "LOAD"),
            ("COPY X FROM 'f.parquet'", "COPY"),
            ("DROP TABLE X", "DROP"),
            ("ALTER TABLE X ADD y INT64", "ALTER"),
            ("INSTALL json", "INSTALL"),
            ("ATTACH 'x.db' AS other", "ATTACH"),
            ("DETACH other", "DETACH"),
            ("EXPORT DATABASE '/tmp/x'", "EXPORT"),
            ("IMPORT DATABASE '/tmp/x'", "IMPORT"),
            ("BEGIN TRANSACTION", "BEGIN"),
            ("COMMIT", "COMMIT"),
            ("ROLLBACK", "ROLLBACK"),
            ("CHECKPOINT", "CHECKPOINT"),
            ("CALL threads = 1", "CALL threads"),
            (
                "CALL create_fts_index('X', 'i', ['name'])",
                "CALL create_fts_index",
            ),
            ("MATCH (n) CALL { MATCH (m) SET m.x = 1 } RETURN n", "SET"),
            (
                "MATCH (n) RETURN n UNION MATCH (m) CREATE (k) RETURN m",
                "CREATE",
            ),
            ("match (n) set n.x = 1", "SET"),
            ("MATCH (n) WITH n AS m SET m.x = 1 RETURN m", "SET"),
            ("MATCH (n) RETURN n AS set ORDER BY set", "SET"),
        ];
        for (q, clause) in cases {
            assert_eq!(violation(q).as_deref(), Some(clause), "{q}");
        }
        match check_read_only("MATCH (n)\n  SET n.x = 1") {
            Err(GateError::ReadOnlyViolation { line, column, .. }) => {
                assert_eq!((line, column), (2, 3))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn statement_splitting_respects_literals() {
        assert_eq!(
            check_read_only("RETURN 1; RETURN 2"),
            Err(GateError::MultipleStatements)
        );
        assert!(check_read_only("RETURN ';'; ").is_ok());
        assert!(check_read_only("RETURN `a;b` // ;\n").is_ok());
        assert!(check_read_only("RETURN 1;;").is_ok());
        assert_eq!(check_read_only("  /* only */ ;"), Err(GateError::Empty));
        assert!(matches!(
            check_read_only("RETURN 'abc"),
            Err(GateError::Syntax(_))
        ));
        assert!(matches!(
            check_read_only("RETURN 1 /* x"),
            Err(GateError::Syntax(_))
        ));
        assert_eq!(
            check_read_only("PROFILE MATCH (n) RETURN n"),
            Err(GateError::Unsupported {
                feature: "profile".into()
            })
        );
    }

    fn names(q: &str) -> Option<Vec<Option<String>>> {
        return_item_texts(q, &tokenize(q).unwrap())
    }

    #[test]
    fn return_items_keep_their_source_text() {
        let some = |v: &[&str]| Some(v.iter().map(|s| Some(s.to_string())).collect::<Vec<_>>());
        assert_eq!(
            names("MATCH (n) RETURN n.name, count(*)"),
            some(&["n.name", "count(*)"])
        );
        assert_eq!(
            names("MATCH (n) RETURN DISTINCT  n.age + 1 ,\n sum(n.x) ORDER BY n.age"),
            some(&["n.age + 1", "sum(n.x)"])
        );
        assert_eq!(
            names("MATCH (n) RETURN n.a AS a, {k: [1, 2]}, f(x, y) LIMIT 3;"),
            Some(vec![
                None,
                Some("{k: [1, 2]}".into()),
                Some("f(x, y)".into())
            ])
        );
        assert_eq!(
            names("MATCH (n) CALL { WITH n RETURN n.x AS y } RETURN y"),
            some(&["y"])
        );
        assert_eq!(names("RETURN 1 AS x UNION RETURN 2 AS x"), Some(vec![None]));
        assert_eq!(
            names("RETURN 'a, b' , `odd name`"),
            some(&["'a, b'", "`odd name`"])
        );
        assert_eq!(names("MATCH (n) RETURN *"), None);
        assert_eq!(names("MATCH (n) WITH n AS m"), None);
    }

    #[test]
    fn tokens_carry_positions_and_unescaped_identifiers() {
        let t = tokenize("MATCH (n)\nRETURN `we``ird`").unwrap();
        let last = t.last().unwrap();
        assert_eq!(last.kind, TokenKind::QuotedIdent);
        assert_eq!(last.text, "we`ird");
        assert_eq!((last.line, last.column), (2, 8));
    }
}
