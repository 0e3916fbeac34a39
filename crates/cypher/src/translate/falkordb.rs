//! FalkorDB: its Cypher is close to Neo4j's, so queries pass through printed in the openCypher
//! style. Engine-specific rewrites go here once measured against a FalkorDB instance.

use super::DialectRules;
use crate::ast::RegularQuery;
use crate::error::Unsupported;
use crate::print::{CYPHER, Style};
use crate::schema::Schema;

/// The FalkorDB rules (pass-through).
pub struct FalkorDb;

impl DialectRules for FalkorDb {
    fn engine(&self) -> &'static str {
        "FalkorDB"
    }
    fn style(&self) -> Style {
        CYPHER
    }
    fn rewrite(
        &self,
        _query: &mut RegularQuery,
        _schema: Option<&Schema>,
    ) -> Result<(), Unsupported> {
        Ok(())
    }
}
