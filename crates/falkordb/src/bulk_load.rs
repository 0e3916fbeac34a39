//! Loading a table through `GRAPH.BULK` (see `bulk` for the format): nodes with their primary
//! keys recorded on the client, relationships with their endpoints resolved there.
//!
//! Owns: the checks the server no longer makes for this path — a row without a primary key,
//! a duplicate key (reported by key), a relationship whose endpoint key is unknown (left out and
//! counted as dangling, as the Cypher path's `MATCH` leaves it out) — and the temporal
//! conversion after each table. Node ids are assigned by FalkorDB in the order the rows are
//! sent, from the label's first id on; `FalkorEngine::load` verifies the label's range after.

use std::collections::HashMap;
use std::path::Path;

use graph_olap_engine::{EdgeLoad, EngineError, NodeLoad};

use crate::bulk::{self, Keys, Sender};
use crate::literal::ident;
use crate::load::{self, ColumnSpec};
use crate::resp::{Connection, Reply};
use crate::{Catalog, FalkorEngine, GRAPH};

/// A row that stops the load.
enum Stop {
    Load(String),
    Duplicate(String),
}

fn cell(file: &Path, column: &str, message: String) -> Stop {
    Stop::Load(format!("{}: column {column}: {message}", file.display()))
}

impl FalkorEngine {
    /// Whether the graph key exists (`GRAPH.BULK` must then be sent without `BEGIN`).
    fn graph_exists(conn: &mut Connection) -> Result<bool, String> {
        match conn.command(&[b"EXISTS", GRAPH.as_bytes()]) {
            Ok(Reply::Int(n)) => Ok(n > 0),
            Ok(other) => Err(format!("EXISTS answered {other:?}")),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Sends one table's tokens on a pooled connection (given back only when every batch was
    /// answered, so a failed load never leaves an unread reply behind).
    fn send_table<E>(
        &self,
        relationships: bool,
        load_err: impl Fn(String) -> E,
        encode: impl FnOnce(&mut dyn FnMut(&[u8], u64) -> Result<(), E>) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut conn = self.connection().map_err(|e| load_err(e.message()))?;
        let begin = !Self::graph_exists(&mut conn).map_err(&load_err)?;
        let mut sender = Sender::new(&mut conn, GRAPH, begin);
        encode(&mut |token, rows| sender.send(token, rows, relationships).map_err(&load_err))?;
        sender.finish().map_err(&load_err)?;
        self.give_back(conn);
        Ok(())
    }

    /// Converts the table's dates and timestamps (sent as text) into temporal values.
    fn fix_temporal(&self, pattern: &str, columns: &[ColumnSpec]) -> Result<(), String> {
        match bulk::temporal_fix(pattern, columns) {
            Some(statement) => self.write(&statement).map(|_| ()).map_err(|e| e.message()),
            None => Ok(()),
        }
    }

    /// Loads one label whose nodes get the ids from `first_id` on: (nodes created, rows in the
    /// files, the label's keys).
    pub(crate) fn bulk_nodes(
        &self,
        n: &NodeLoad,
        first_id: u64,
    ) -> Result<(u64, u64, Keys), EngineError> {
        let def = &n.definition;
        let label = def.label.clone();
        let load_err = |message: String| EngineError::Load {
            table: label.clone(),
            message,
        };
        let columns = ColumnSpec::of_nodes(def);
        let rows_in_files = load::count_rows(&n.files, &columns).map_err(|e| load_err(e.0))?;
        let mut header = Vec::new();
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        bulk::push_header(&mut header, &label, &names).map_err(&load_err)?;
        let (mut keys, mut created, mut keyless) = (Keys::default(), 0u64, 0u64);
        let sent = self.send_table(false, Stop::Load, |send| {
            bulk::for_each_token(
                &n.files,
                &columns,
                &header,
                self.batch_rows,
                |token, cols, row, file| {
                    let start = token.len();
                    bulk::push_value(token, cols[0].as_ref(), row, &columns[0].ty)
                        .map_err(|m| cell(file, &columns[0].name, m))?;
                    let key = &token[start..];
                    if key == [0] {
                        keyless += 1;
                        return Ok(false);
                    }
                    let id = u32::try_from(first_id + created)
                        .map_err(|_| Stop::Load("too many nodes".into()))?;
                    if !keys.insert(key, id) {
                        return Err(Stop::Duplicate(bulk::key_text(key)));
                    }
                    for (col, spec) in cols.iter().zip(&columns).skip(1) {
                        bulk::push_value(token, col.as_ref(), row, &spec.ty)
                            .map_err(|m| cell(file, &spec.name, m))?;
                    }
                    created += 1;
                    Ok(true)
                },
                send,
                |e| Stop::Load(e.0),
            )
        });
        match sent {
            Ok(()) => {}
            Err(Stop::Load(m)) => return Err(load_err(m)),
            Err(Stop::Duplicate(key)) => return Err(EngineError::DuplicateKey { label, key }),
        }
        if keyless > 0 {
            return Err(load_err(format!(
                "{keyless} rows have no primary key {}",
                def.primary_key.name
            )));
        }
        self.fix_temporal(&format!("(e:{})", ident(&label)), &columns)
            .map_err(&load_err)?;
        Ok((created, rows_in_files, keys))
    }

    /// Loads one relationship type, its endpoints resolved through `keys` (per label): (created,
    /// rows in the files).
    pub(crate) fn bulk_edges(
        &self,
        e: &EdgeLoad,
        catalog: &Catalog,
        keys: &HashMap<String, Keys>,
    ) -> Result<(u64, u64), EngineError> {
        let def = &e.definition;
        let name = def.edge_type.clone();
        let load_err = |message: String| EngineError::Load {
            table: name.clone(),
            message,
        };
        let (columns, from, to) = catalog.edge_columns(def).map_err(&load_err)?;
        let endpoint_keys = |label: &str| {
            keys.get(label)
                .ok_or_else(|| load_err(format!("unknown node label {label}")))
        };
        let (from_keys, to_keys) = (endpoint_keys(&from.label)?, endpoint_keys(&to.label)?);
        let rows_in_files = load::count_rows(&e.files, &columns).map_err(|er| load_err(er.0))?;
        let mut header = Vec::new();
        let names: Vec<&str> = columns[2..].iter().map(|c| c.name.as_str()).collect();
        bulk::push_header(&mut header, &name, &names).map_err(&load_err)?;
        let (mut scratch, mut created) = (Vec::new(), 0u64);
        self.send_table(true, load_err, |send| {
            bulk::for_each_token(
                &e.files,
                &columns,
                &header,
                self.batch_rows,
                |token, cols, row, file| {
                    let mut id = |i: usize, keys: &Keys| {
                        scratch.clear();
                        bulk::push_value(&mut scratch, cols[i].as_ref(), row, &columns[i].ty)
                            .map(|()| keys.get(&scratch))
                            .map_err(|m| load_err(format!("{}: {m}", file.display())))
                    };
                    let (Some(src), Some(dst)) = (id(0, from_keys)?, id(1, to_keys)?) else {
                        return Ok(false);
                    };
                    token.extend_from_slice(&u64::from(src).to_le_bytes());
                    token.extend_from_slice(&u64::from(dst).to_le_bytes());
                    for (col, spec) in cols.iter().zip(&columns).skip(2) {
                        bulk::push_value(token, col.as_ref(), row, &spec.ty).map_err(|m| {
                            load_err(format!("{}: column {}: {m}", file.display(), spec.name))
                        })?;
                    }
                    created += 1;
                    Ok(true)
                },
                send,
                |er| load_err(er.0),
            )
        })?;
        self.fix_temporal(&format!("()-[e:{}]->()", ident(&name)), &columns[2..])
            .map_err(&load_err)?;
        // The bulk insert leaves the relationship matrix to be built by the first traversal
        // (seconds at scale 100); the load pays it, not the analyst's first query.
        self.read(&format!(
            "MATCH (a)-[e:{}]->() RETURN id(e) LIMIT 1",
            ident(&name)
        ))
        .map_err(&load_err)?;
        Ok((created, rows_in_files))
    }
}
