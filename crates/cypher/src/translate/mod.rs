//! Translation from the analysts' dialect (openCypher as Neo4j speaks it) to an engine's
//! dialect: tree rewrites per engine, then printing in that engine's [`Style`].
//!
//! Owns: the [`Dialect`] choice and the [`DialectRules`] seam a new engine implements.
//! Does not own: the gate (run it first — translators assume a read-only query) or running
//! anything.

mod falkordb;
mod kuzu;
mod tree;

use crate::ast::*;
use crate::error::Unsupported;
use crate::print::{Style, print_query};
use crate::schema::Schema;

/// The engine dialects queries can be translated to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Kùzu as embedded by `ryugraph` (1-based lists, `label()`, no `CALL { }`, …).
    Kuzu,
    /// FalkorDB: close to Neo4j's Cypher, mostly passed through.
    FalkorDb,
}

/// What an engine dialect provides: its name, its printing style and its rewrites.
pub trait DialectRules: Sync {
    /// Engine name used in messages (`Kùzu/ryugraph`).
    fn engine(&self) -> &'static str;
    /// How the engine spells names and labels.
    fn style(&self) -> Style;
    /// Rewrites one read-only query in place, or explains what cannot be translated. With a
    /// `schema`, rewrites may depend on which properties each label has.
    fn rewrite(&self, query: &mut RegularQuery, schema: Option<&Schema>)
    -> Result<(), Unsupported>;
}

impl Dialect {
    /// The rules of this dialect.
    pub fn rules(self) -> &'static dyn DialectRules {
        match self {
            Dialect::Kuzu => &kuzu::Kuzu,
            Dialect::FalkorDb => &falkordb::FalkorDb,
        }
    }
}

/// Translates a parsed, gated query to `dialect` text without knowing the graph's schema
/// (property accesses are passed through as written).
pub fn translate(query: &Query, dialect: Dialect) -> Result<String, Unsupported> {
    translate_inner(query, dialect, None)
}

/// Translates a parsed, gated query to `dialect` text for a graph with `schema`: a property
/// that none of a variable's possible labels has becomes `null` (as in Neo4j) instead of an
/// engine error, and `coalesce` over values of different types compares them as strings.
pub fn translate_with_schema(
    query: &Query,
    dialect: Dialect,
    schema: &Schema,
) -> Result<String, Unsupported> {
    translate_inner(query, dialect, Some(schema))
}

fn translate_inner(
    query: &Query,
    dialect: Dialect,
    schema: Option<&Schema>,
) -> Result<String, Unsupported> {
    let rules = dialect.rules();
    let mut query = query.clone();
    for statement in &mut query.statements {
        match &mut statement.body {
            StatementBody::Query(q) => rules.rewrite(q, schema)?,
            StatementBody::Command(c) => {
                return Err(Unsupported {
                    construct: format!("command {}", c.name),
                    engine: rules.engine(),
                    span: c.span,
                    suggestion: "only queries are translated".into(),
                });
            }
        }
    }
    Ok(print_query(&query, &rules.style()))
}
