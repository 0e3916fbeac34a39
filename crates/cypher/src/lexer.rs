//! Lexing Cypher text into tokens with byte spans, lines and columns.
//!
//! Owns: string literals with escapes, `//` and `/* */` comments, backticked identifiers,
//! numbers, parameters and punctuation (longest match first).
//! Does not own: keywords — an identifier is a keyword only where the parser expects one, so
//! `end`, `set` or `match` stay usable as property keys, labels and aliases.

use crate::ast::Span;
use crate::error::ParseError;

/// Kind of a lexical token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// Unquoted identifier or keyword, as written.
    Ident(String),
    /// Backticked identifier, unescaped: never a keyword.
    Quoted(String),
    /// String literal, unescaped.
    Str(String),
    /// Integer literal as written (decimal, `0x…` or `0o…`).
    Int(String),
    /// Floating point literal as written.
    Float(String),
    /// Parameter name without the `$`.
    Param(String),
    /// Punctuation or operator.
    Punct(&'static str),
    /// End of input.
    Eof,
}

/// One token and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub tok: Tok,
    /// Where it is.
    pub span: Span,
}

impl Token {
    /// Short description for error messages (`'MATCH'`, `end of input`).
    pub fn describe(&self) -> String {
        match &self.tok {
            Tok::Ident(s) => format!("'{s}'"),
            Tok::Quoted(s) => format!("`{s}`"),
            Tok::Str(_) => "string literal".into(),
            Tok::Int(s) | Tok::Float(s) => format!("'{s}'"),
            Tok::Param(s) => format!("'${s}'"),
            Tok::Punct(p) => format!("'{p}'"),
            Tok::Eof => "end of input".into(),
        }
    }
}

/// Punctuation, longest first so that `<>` wins over `<`.
const PUNCTS: &[&str] = &[
    "<>", "<=", ">=", "=~", "+=", "..", "->", "<-", "--", "!=", "||", "::", "(", ")", "[", "]",
    "{", "}", ",", ".", ":", ";", "=", "<", ">", "+", "-", "*", "/", "%", "^", "|", "$", "!", "&",
    "?",
];

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    line: u32,
    column: u32,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }
    fn peek_at(&self, n: usize) -> Option<char> {
        self.text[self.pos..].chars().nth(n)
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }
    fn span_from(&self, start: usize, line: u32, column: u32) -> Span {
        Span {
            start,
            end: self.pos,
            line,
            column,
        }
    }
}

fn lex_error(message: &str, span: Span, found: &str) -> ParseError {
    ParseError {
        message: message.to_string(),
        span,
        found: found.to_string(),
        expected: Vec::new(),
    }
}

/// Splits text into tokens (whitespace and comments dropped), ending with [`Tok::Eof`].
pub fn tokenize(text: &str) -> Result<Vec<Token>, ParseError> {
    let mut lx = Lexer {
        text,
        pos: 0,
        line: 1,
        column: 1,
    };
    let mut out = Vec::new();
    while let Some(c) = lx.peek() {
        let (start, line, column) = (lx.pos, lx.line, lx.column);
        if c.is_whitespace() {
            lx.bump();
            continue;
        }
        if c == '/' && lx.peek_at(1) == Some('/') {
            while lx.peek().is_some_and(|c| c != '\n') {
                lx.bump();
            }
            continue;
        }
        if c == '/' && lx.peek_at(1) == Some('*') {
            lx.bump();
            lx.bump();
            loop {
                match lx.bump() {
                    Some('*') if lx.peek() == Some('/') => {
                        lx.bump();
                        break;
                    }
                    Some(_) => {}
                    None => {
                        let span = lx.span_from(start, line, column);
                        return Err(lex_error("unterminated comment", span, "/*"));
                    }
                }
            }
            continue;
        }
        let tok = if c == '\'' || c == '"' {
            lex_string(&mut lx, c, start, line, column)?
        } else if c == '`' {
            lx.bump();
            let mut value = String::new();
            loop {
                match lx.bump() {
                    Some('`') if lx.peek() == Some('`') => {
                        lx.bump();
                        value.push('`');
                    }
                    Some('`') => break,
                    Some(c) => value.push(c),
                    None => {
                        let span = lx.span_from(start, line, column);
                        return Err(lex_error("unterminated backticked identifier", span, "`"));
                    }
                }
            }
            Tok::Quoted(value)
        } else if c == '$'
            && lx
                .peek_at(1)
                .is_some_and(|d| d.is_alphanumeric() || d == '_')
        {
            lx.bump();
            let mut value = String::new();
            while let Some(c) = lx.peek().filter(|c| c.is_alphanumeric() || *c == '_') {
                value.push(c);
                lx.bump();
            }
            Tok::Param(value)
        } else if c.is_alphabetic() || c == '_' {
            let mut value = String::new();
            while let Some(c) = lx.peek().filter(|c| c.is_alphanumeric() || *c == '_') {
                value.push(c);
                lx.bump();
            }
            Tok::Ident(value)
        } else if c.is_ascii_digit()
            || (c == '.' && lx.peek_at(1).is_some_and(|d| d.is_ascii_digit()))
        {
            lex_number(&mut lx, start, line, column)?
        } else {
            let rest = &text[lx.pos..];
            match PUNCTS.iter().find(|p| rest.starts_with(**p)) {
                Some(p) => {
                    for _ in 0..p.chars().count() {
                        lx.bump();
                    }
                    Tok::Punct(p)
                }
                None => {
                    lx.bump();
                    let span = lx.span_from(start, line, column);
                    return Err(lex_error(
                        &format!("unexpected character '{c}'"),
                        span,
                        &c.to_string(),
                    ));
                }
            }
        };
        out.push(Token {
            tok,
            span: lx.span_from(start, line, column),
        });
    }
    let end = Span {
        start: lx.pos,
        end: lx.pos,
        line: lx.line,
        column: lx.column,
    };
    out.push(Token {
        tok: Tok::Eof,
        span: end,
    });
    Ok(out)
}

fn lex_string(
    lx: &mut Lexer<'_>,
    quote: char,
    start: usize,
    line: u32,
    column: u32,
) -> Result<Tok, ParseError> {
    lx.bump();
    let mut value = String::new();
    loop {
        let Some(c) = lx.bump() else {
            let span = lx.span_from(start, line, column);
            return Err(lex_error(
                "unterminated string literal",
                span,
                &quote.to_string(),
            ));
        };
        if c == quote {
            return Ok(Tok::Str(value));
        }
        if c != '\\' {
            value.push(c);
            continue;
        }
        let esc_start = (lx.pos - 1, lx.line, lx.column - 1);
        let escaped = match lx.bump() {
            Some('n') => '\n',
            Some('t') => '\t',
            Some('r') => '\r',
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some('0') => '\0',
            Some('u') => {
                let mut hex = String::new();
                for _ in 0..4 {
                    match lx.peek().filter(char::is_ascii_hexdigit) {
                        Some(h) => {
                            hex.push(h);
                            lx.bump();
                        }
                        None => break,
                    }
                }
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(c) if hex.len() == 4 => c,
                    _ => {
                        let span = lx.span_from(esc_start.0, esc_start.1, esc_start.2);
                        return Err(lex_error(
                            "invalid unicode escape (expected \\uXXXX)",
                            span,
                            "\\u",
                        ));
                    }
                }
            }
            Some(other @ ('\\' | '\'' | '"')) => other,
            Some(other) => {
                let span = lx.span_from(esc_start.0, esc_start.1, esc_start.2);
                return Err(lex_error(
                    &format!("invalid escape sequence '\\{other}'"),
                    span,
                    &format!("\\{other}"),
                ));
            }
            None => continue,
        };
        value.push(escaped);
    }
}

fn lex_number(lx: &mut Lexer<'_>, start: usize, line: u32, column: u32) -> Result<Tok, ParseError> {
    let mut value = String::new();
    let mut float = false;
    if lx.peek() == Some('0') && matches!(lx.peek_at(1), Some('x' | 'X' | 'o' | 'O')) {
        for _ in 0..2 {
            value.extend(lx.bump());
        }
        while let Some(c) = lx.peek().filter(char::is_ascii_alphanumeric) {
            value.push(c);
            lx.bump();
        }
    } else {
        let digits = |lx: &mut Lexer<'_>, value: &mut String| {
            while let Some(c) = lx.peek().filter(|c| c.is_ascii_digit() || *c == '_') {
                value.push(c);
                lx.bump();
            }
        };
        digits(lx, &mut value);
        // `1..3` is a range, not a float.
        if lx.peek() == Some('.') && lx.peek_at(1).is_some_and(|d| d.is_ascii_digit()) {
            float = true;
            value.extend(lx.bump());
            digits(lx, &mut value);
        }
        if matches!(lx.peek(), Some('e' | 'E'))
            && (lx.peek_at(1).is_some_and(|d| d.is_ascii_digit())
                || (matches!(lx.peek_at(1), Some('-' | '+'))
                    && lx.peek_at(2).is_some_and(|d| d.is_ascii_digit())))
        {
            float = true;
            value.extend(lx.bump());
            value.extend(lx.bump());
            digits(lx, &mut value);
        }
    }
    if lx.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
        while lx.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            value.extend(lx.bump());
        }
        let span = lx.span_from(start, line, column);
        return Err(lex_error(
            &format!("invalid number '{value}'"),
            span,
            &value,
        ));
    }
    Ok(if float {
        Tok::Float(value)
    } else {
        Tok::Int(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<Tok> {
        tokenize(text).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn strings_unescape_and_ranges_are_not_floats() {
        assert_eq!(
            toks(r"'it\'s\n'"),
            vec![Tok::Str("it's\n".into()), Tok::Eof]
        );
        assert_eq!(
            toks("1..3"),
            vec![
                Tok::Int("1".into()),
                Tok::Punct(".."),
                Tok::Int("3".into()),
                Tok::Eof
            ]
        );
        assert_eq!(
            toks("1.5e3 .5"),
            vec![
                Tok::Float("1.5e3".into()),
                Tok::Float(".5".into()),
                Tok::Eof
            ]
        );
        assert_eq!(
            toks("a<>b"),
            vec![
                Tok::Ident("a".into()),
                Tok::Punct("<>"),
                Tok::Ident("b".into()),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn positions_count_characters_and_lines() {
        let t = tokenize("MATCH (é)\n  RETURN `we``ird`").unwrap();
        let quoted = &t[5];
        assert_eq!(quoted.tok, Tok::Quoted("we`ird".into()));
        assert_eq!((quoted.span.line, quoted.span.column), (2, 10));
        assert_eq!(t[2].span.column, 8);
    }

    #[test]
    fn lexical_errors_have_positions() {
        let e = tokenize("RETURN\n 'abc").unwrap_err();
        assert_eq!((e.span.line, e.span.column), (2, 2));
        assert!(tokenize("RETURN 1 /* x").is_err());
        assert!(tokenize("RETURN 12abc").is_err());
        assert!(tokenize("RETURN #").is_err());
    }
}
