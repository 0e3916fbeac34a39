//! Schema and bulk load: DDL from the mapping definitions, `COPY FROM` the snapshot's Parquet
//! files (columns matched case-insensitively, dangling edges counted), and the dense id space
//! built after loading.

use super::*;

pub(super) fn engine_type(t: &PropertyType) -> String {
    fn scalar(s: ScalarType) -> &'static str {
        match s {
            ScalarType::String => "STRING",
            ScalarType::Int64 => "INT64",
            ScalarType::Int32 => "INT32",
            ScalarType::Int16 => "INT16",
            ScalarType::Int8 => "INT8",
            ScalarType::Double => "DOUBLE",
            ScalarType::Float => "FLOAT",
            ScalarType::Bool => "BOOLEAN",
            ScalarType::Date => "DATE",
            ScalarType::Timestamp => "TIMESTAMP",
            ScalarType::Blob => "BLOB",
            ScalarType::Uuid => "UUID",
        }
    }
    match t {
        PropertyType::Scalar(s) => scalar(*s).to_string(),
        PropertyType::List(s) => format!("{}[]", scalar(*s)),
    }
}

/// Row count and column names of a Parquet file, read through the engine's own scanner.
pub(super) fn parquet_rows_and_columns(
    conn: &Connection<'_>,
    path: &Path,
) -> Result<(u64, Vec<String>), String> {
    let file = quote_str(&path.display().to_string());
    let columns = conn
        .query(&format!("LOAD FROM {file} RETURN * LIMIT 1"))
        .map_err(engine_err)?
        .get_column_names();
    let rows = scalar_u64(conn, &format!("LOAD FROM {file} RETURN count(*)"))?;
    Ok((rows, columns))
}

/// Where a COPY reads a table from: local Parquet files and the columns to take from them.
pub(super) struct CopySource {
    /// `['a.parquet', 'b.parquet']`.
    list: String,
    /// The table's columns as spelled in the files, in table order.
    select: Vec<String>,
    /// The files' columns are exactly the table's, in order (the list can be copied directly).
    in_order: bool,
    /// Rows in the files.
    rows: u64,
}

impl CopySource {
    /// The whole source: the file list directly when possible, else a `LOAD FROM` subquery
    /// selecting the columns by name.
    fn whole(&self) -> String {
        if self.in_order {
            self.list.clone()
        } else {
            format!(
                "(LOAD FROM {} RETURN {})",
                self.list,
                self.select.join(", ")
            )
        }
    }

    /// The rows satisfying `predicate` (Cypher over the file columns).
    fn filtered(&self, predicate: &str) -> String {
        format!(
            "(LOAD FROM {} WHERE {predicate} RETURN {})",
            self.list,
            self.select.join(", ")
        )
    }

    /// The COPY sources of an edge table. The engine's first COPY into an empty relationship
    /// table with a floating-point property takes minutes for a few hundred thousand rows
    /// (measured: 1 M `TRANSFER` rows with a DOUBLE, 150 s), while later COPYs into a non-empty
    /// table are fast (the same rows: under 1 s). So a large table is copied as a small first
    /// part (≈ `PRIME_ROWS` rows, chosen by a hash of the source key) and then everything else;
    /// the two predicates are complementary, so every row is copied exactly once.
    fn for_edges(&self) -> Vec<String> {
        const PRIME_ROWS: u64 = 10_000;
        if self.rows <= 2 * PRIME_ROWS {
            return vec![self.whole()];
        }
        let buckets = self.rows / PRIME_ROWS;
        let first = format!("hash({}) % {buckets} = 0", self.select[0]);
        vec![
            self.filtered(&first),
            self.filtered(&format!("NOT coalesce({first}, false)")),
        ]
    }
}

/// Inspects the files of one table: every expected column present (matched case-insensitively),
/// and how many rows they hold.
pub(super) fn copy_source(
    conn: &Connection<'_>,
    table: &str,
    files: &[PathBuf],
    expected: &[String],
) -> Result<CopySource, EngineError> {
    let load_err = |message: String| EngineError::Load {
        table: table.into(),
        message,
    };
    let mut rows = 0;
    let mut in_order = true;
    let mut actual_names: Vec<String> = Vec::new();
    let exp_lower: Vec<String> = expected.iter().map(|c| c.to_ascii_lowercase()).collect();
    for f in files {
        let (file_rows, columns) = parquet_rows_and_columns(conn, f)
            .map_err(|m| load_err(format!("{}: {m}", f.display())))?;
        rows += file_rows;
        let lower: Vec<String> = columns.iter().map(|c| c.to_ascii_lowercase()).collect();
        if let Some(missing) = expected
            .iter()
            .find(|e| !lower.contains(&e.to_ascii_lowercase()))
        {
            return Err(load_err(format!(
                "file {} has no column {missing}",
                f.display()
            )));
        }
        in_order &= lower == exp_lower;
        if actual_names.is_empty() {
            actual_names = columns;
        }
    }
    let list = format!(
        "[{}]",
        files
            .iter()
            .map(|f| quote_str(&f.display().to_string()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let select = expected
        .iter()
        .map(|e| {
            quote_ident(
                actual_names
                    .iter()
                    .find(|a| a.eq_ignore_ascii_case(e))
                    .unwrap_or(e),
            )
        })
        .collect();
    Ok(CopySource {
        list,
        select,
        in_order,
        rows,
    })
}

pub(super) fn duplicate_key(message: &str) -> Option<String> {
    let start =
        message.find("duplicated primary key value ")? + "duplicated primary key value ".len();
    let rest = &message[start..];
    let end = rest.find(", which violates").unwrap_or(rest.len());
    Some(rest[..end].to_string())
}

impl RyuEngine {
    pub(super) fn create_tables(
        &self,
        nodes: &[NodeDefinition],
        edges: &[EdgeDefinition],
    ) -> Result<(), EngineError> {
        let mut statements: Vec<(String, String)> = Vec::new();
        for n in nodes {
            let mut cols = vec![format!(
                "{} {}",
                quote_ident(&n.primary_key.name),
                engine_type(&n.primary_key.ty)
            )];
            for p in &n.properties {
                cols.push(format!("{} {}", quote_ident(&p.name), engine_type(&p.ty)));
            }
            cols.push(format!("PRIMARY KEY({})", quote_ident(&n.primary_key.name)));
            statements.push((
                n.label.clone(),
                format!(
                    "CREATE NODE TABLE {}({})",
                    quote_ident(&n.label),
                    cols.join(", ")
                ),
            ));
        }
        for e in edges {
            let mut cols = vec![format!(
                "FROM {} TO {}",
                quote_ident(&e.from_node),
                quote_ident(&e.to_node)
            )];
            for p in &e.properties {
                cols.push(format!("{} {}", quote_ident(&p.name), engine_type(&p.ty)));
            }
            statements.push((
                e.edge_type.clone(),
                format!(
                    "CREATE REL TABLE {}({})",
                    quote_ident(&e.edge_type),
                    cols.join(", ")
                ),
            ));
        }
        self.on_writer(move |conn| {
            for (table, ddl) in statements {
                conn.query(&ddl).map_err(|e| EngineError::Schema {
                    table,
                    message: engine_err(e),
                })?;
            }
            Ok::<(), EngineError>(())
        })??;
        let mut catalog = self
            .inner
            .catalog
            .write()
            .map_err(|_| EngineError::Stopped)?;
        catalog.defs = Definitions::new(nodes, edges);
        Ok(())
    }

    pub(super) fn load_tables(
        &self,
        nodes: &[NodeLoad],
        edges: &[EdgeLoad],
        progress: &mut dyn FnMut(LoadEvent),
    ) -> Result<LoadReport, EngineError> {
        let mut report = LoadReport::default();
        for n in nodes {
            let label = n.definition.label.clone();
            progress(LoadEvent::TableStarted {
                name: label.clone(),
                kind: TableKind::Node,
            });
            let mut expected = vec![n.definition.primary_key.name.clone()];
            expected.extend(n.definition.properties.iter().map(|p| p.name.clone()));
            let l = label.clone();
            let files = n.files.clone();
            let (count, rows_in_files) = self.on_writer(move |conn| {
                let source = if files.is_empty() {
                    None
                } else {
                    Some(copy_source(conn, &l, &files, &expected)?)
                };
                let rows_in_files = source.as_ref().map_or(0, |s| s.rows);
                if let Some(source) = source {
                    let copy = format!("COPY {} FROM {}", quote_ident(&l), source.whole());
                    if let Err(e) = conn.query(&copy) {
                        let message = engine_err(e);
                        return Err(match duplicate_key(&message) {
                            Some(key) => EngineError::DuplicateKey { label: l, key },
                            None => EngineError::Load { table: l, message },
                        });
                    }
                }
                let count = scalar_u64(
                    conn,
                    &format!("MATCH (n:{}) RETURN count(n)", quote_ident(&l)),
                )
                .map_err(|message| EngineError::Load { table: l, message })?;
                Ok((count, rows_in_files))
            })??;
            report.nodes_loaded(label, count, rows_in_files, progress);
        }
        for e in edges {
            let name = e.definition.edge_type.clone();
            progress(LoadEvent::TableStarted {
                name: name.clone(),
                kind: TableKind::Edge,
            });
            let mut expected = vec![e.definition.from_key.clone(), e.definition.to_key.clone()];
            expected.extend(e.definition.properties.iter().map(|p| p.name.clone()));
            let t = name.clone();
            let files = e.files.clone();
            let (count, rows_in_files) = self.on_writer(move |conn| {
                let source = if files.is_empty() {
                    None
                } else {
                    Some(copy_source(conn, &t, &files, &expected)?)
                };
                let rows_in_files = source.as_ref().map_or(0, |s| s.rows);
                if let Some(source) = source {
                    // Rows whose endpoint key matches no node are skipped by the engine and
                    // recorded as warnings; any other kind of warning fails the load.
                    for part in source.for_edges() {
                        let copy =
                            format!("COPY {} FROM {part} (ignore_errors=true)", quote_ident(&t));
                        conn.query(&copy).map_err(|e| EngineError::Load {
                            table: t.clone(),
                            message: engine_err(e),
                        })?;
                    }
                    let warnings =
                        run(conn, "CALL show_warnings() RETURN message").map_err(|message| {
                            EngineError::Load {
                                table: t.clone(),
                                message,
                            }
                        })?;
                    let _ = conn.query("CALL clear_warnings()");
                    for w in warnings {
                        let text = w.first().map(ToString::to_string).unwrap_or_default();
                        if !text.contains("Unable to find primary key") {
                            return Err(EngineError::Load {
                                table: t,
                                message: text,
                            });
                        }
                    }
                }
                let count = scalar_u64(
                    conn,
                    &format!("MATCH ()-[r:{}]->() RETURN count(r)", quote_ident(&t)),
                )
                .map_err(|message| EngineError::Load { table: t, message })?;
                Ok((count, rows_in_files))
            })??;
            report.edges_loaded(name, count, rows_in_files, progress);
        }
        self.build_id_space(&report)?;
        Ok(report)
    }
}

impl RyuEngine {
    /// After loading: maps engine table ids to dense `_id` bases and stores each relationship's
    /// `_id` in its hidden property.
    fn build_id_space(&self, report: &LoadReport) -> Result<(), EngineError> {
        let (nodes, edges) = {
            let c = self
                .inner
                .catalog
                .read()
                .map_err(|_| EngineError::Stopped)?;
            (c.defs.nodes.clone(), c.defs.edges.clone())
        };
        let counts = report.node_counts.clone();
        let ids = self
            .on_writer(move |conn| {
                // The engine's internal table id, as carried by node and relationship ids (the catalog
                // ids of `show_tables` are a different numbering).
                let table_id = |statement: String| -> Result<Option<u64>, String> {
                    let rows = run(conn, &statement)?;
                    Ok(match rows.first().and_then(|r| r.first()) {
                        Some(Value::InternalID(id)) => Some(id.table_id),
                        _ => None,
                    })
                };
                let mut space = IdSpace::default();
                let mut next: i64 = 0;
                for n in &nodes {
                    let count = counts.get(&n.label).copied().unwrap_or(0);
                    if let Some(tid) = table_id(format!(
                        "MATCH (n:{}) RETURN id(n) LIMIT 1",
                        quote_ident(&n.label)
                    ))? {
                        space.node_base.insert(tid, (next, n.label.clone()));
                    }
                    space.labels.push(LabelRange {
                        label: n.label.clone(),
                        first_id: u32::try_from(next).map_err(|_| "too many nodes".to_string())?,
                        count: u32::try_from(count).map_err(|_| "too many nodes".to_string())?,
                    });
                    next += i64::try_from(count).unwrap_or(i64::MAX);
                }
                for e in &edges {
                    let t = quote_ident(&e.edge_type);
                    let tid = table_id(format!("MATCH ()-[r:{t}]->() RETURN id(r) LIMIT 1"))?;
                    let max = run(
                        conn,
                        &format!("MATCH ()-[r:{t}]->() RETURN max(offset(id(r)))"),
                    )?;
                    let span = match max.first().and_then(|r| r.first()) {
                        Some(Value::Int64(m)) => m + 1,
                        _ => 0,
                    };
                    conn.query(&format!(
                        "ALTER TABLE {t} ADD {} INT64",
                        quote_ident(REL_ID_PROPERTY)
                    ))
                    .map_err(engine_err)?;
                    if span > 0 {
                        conn.query(&format!(
                            "MATCH ()-[r:{t}]->() SET r.{} = {next} + offset(id(r))",
                            quote_ident(REL_ID_PROPERTY)
                        ))
                        .map_err(engine_err)?;
                    }
                    if let Some(tid) = tid {
                        space.rel_base.insert(tid, (next, e.edge_type.clone()));
                    }
                    space.rel_bases_by_type.insert(e.edge_type.clone(), next);
                    next += span;
                }
                Ok::<_, String>(space)
            })?
            .map_err(|message| EngineError::Load {
                table: "(ids)".into(),
                message,
            })?;
        let mut catalog = self
            .inner
            .catalog
            .write()
            .map_err(|_| EngineError::Stopped)?;
        catalog.ids = Arc::new(ids);
        Ok(())
    }
}

#[cfg(feature = "test-support")]
impl RyuEngine {
    /// Test support: writes the rows of a read query to a Parquet file (`COPY (…) TO …`).
    pub fn write_parquet(&self, query: &str, path: &Path) -> Result<(), EngineError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let statement = format!(
            "COPY ({query}) TO {}",
            quote_str(&path.display().to_string())
        );
        self.on_writer(move |conn| conn.query(&statement).map(|_| ()).map_err(engine_err))?
            .map_err(EngineError::Internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_key_is_extracted() {
        let m = "Copy exception: Found duplicated primary key value c1, which violates the uniqueness constraint of the primary key column.";
        assert_eq!(duplicate_key(m).as_deref(), Some("c1"));
    }
}
