//! One Cypher for analysts: a real openCypher parser, a read-only gate on the syntax tree, and
//! translation to each engine's dialect.
//!
//! Owns: turning user text into a [`Query`] (or a [`ParseError`] with line, column, offending
//! token and what was expected); refusing anything that is not a single read-only query
//! ([`check_read_only`]); rewriting the tree for an engine and printing it ([`translate`]).
//! Does not own: running queries, schemas, or the HTTP error envelope (callers map
//! [`CypherError`] to `QUERY_SYNTAX_ERROR` / `read_only_violation` / `QUERY_UNSUPPORTED`).
//!
//! # Why a hand-written parser
//!
//! The crates.io crate `open-cypher` (openCypher 2024.3, LALRPOP + logos) was considered. This
//! crate writes its own recursive-descent parser instead because:
//! - errors must name the furthest token reached and *every* alternative expected there, in our
//!   words, and never leak an internal production name;
//! - the tree must be ours to rewrite and print (translators build shapes openCypher has not,
//!   such as Kùzu lambdas, `CAST(x AS T)` and `* SHORTEST 1..n`), with spans on every node;
//! - commands outside openCypher (Kùzu `COPY`, `LOAD FROM`, `INSTALL`, `ATTACH`, `CALL threads = 4`;
//!   Neo4j `CREATE INDEX`, `SHOW …`, `BEGIN`) must still parse far enough to be refused by name;
//! - no dependency tree: `logos` brings proc-macro crates (`syn` with extra features) into a
//!   workspace whose C++ engine takes 35 minutes to rebuild when shared crates change features;
//! - nesting is bounded ([`parser::MAX_DEPTH`]) so no input can exhaust the stack.
//!
//! ```
//! use graph_olap_cypher::{prepare, Dialect};
//! let p = prepare("MATCH (a)-[r]->(b) RETURN type(r), labels(b)[0]", Dialect::Kuzu).unwrap();
//! assert_eq!(p.text, "MATCH (a)-[r]->(b) RETURN label(r), label(b)");
//! ```

pub mod ast;
pub mod error;
pub mod gate;
pub mod lexer;
pub mod parser;
pub mod print;
pub mod schema;
pub mod scope;
pub mod translate;
pub mod visit;

pub use ast::{Query, Span};
pub use error::{CypherError, ParseError, ReadOnlyViolation, Unsupported};
pub use gate::{READ_ONLY_PROCEDURES, check_read_only};
pub use parser::parse;
pub use schema::{Schema, TableSchema, ValueType};
pub use translate::{Dialect, DialectRules, translate, translate_with_schema};

/// A query ready for an engine: parsed, gated and translated.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// The parsed query as the analyst wrote it.
    pub query: Query,
    /// The text the engine will run.
    pub text: String,
    /// The dialect `text` is in.
    pub dialect: Dialect,
}

/// The result column names of a single read query as the analyst will see them: each `RETURN`
/// item's alias, or its expression exactly as written in `source` (`count(*)`, `type(r)`), since
/// the translated text the engine runs may spell it differently. `None` for `RETURN *`, commands,
/// or anything without a final `RETURN`.
pub fn return_columns(query: &Query, source: &str) -> Option<Vec<String>> {
    let [statement] = query.statements.as_slice() else {
        return None;
    };
    let ast::StatementBody::Query(regular) = &statement.body else {
        return None;
    };
    let ast::ClauseKind::Return(projection) = &regular.first.clauses.last()?.kind else {
        return None;
    };
    if projection.star {
        return None;
    }
    projection
        .items
        .iter()
        .map(|item| match &item.alias {
            Some(alias) => Some(alias.name.clone()),
            None => source
                .get(item.expr.span.start..item.expr.span.end)
                .map(str::to_string),
        })
        .collect()
}

/// Parses, gates and translates one user statement.
pub fn prepare(text: &str, dialect: Dialect) -> Result<Prepared, CypherError> {
    let query = parse(text)?;
    check_read_only(&query)?;
    let translated = translate(&query, dialect)?;
    Ok(Prepared {
        query,
        text: translated,
        dialect,
    })
}

/// Parses, gates and translates one user statement for a graph with `schema` (see
/// [`translate_with_schema`]).
pub fn prepare_with_schema(
    text: &str,
    dialect: Dialect,
    schema: &Schema,
) -> Result<Prepared, CypherError> {
    let query = parse(text)?;
    check_read_only(&query)?;
    let translated = translate_with_schema(&query, dialect, schema)?;
    Ok(Prepared {
        query,
        text: translated,
        dialect,
    })
}
