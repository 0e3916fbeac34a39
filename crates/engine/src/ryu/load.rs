//! Schema and bulk load: DDL from the mapping definitions, `COPY FROM` the snapshot's Parquet
//! files (columns matched case-insensitively, dangling edges counted), and the dense id space
//! built after loading.

use super::*;
use crate::parquet_footer;

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
    /// The table's columns as spelled in the files, in table order.
    select: Vec<String>,
    /// The files' columns are exactly the table's, in order (the list can be copied directly).
    in_order: bool,
    /// The files and the rows of each (from their footers), in list order.
    files: Vec<(PathBuf, u64)>,
}

impl CopySource {
    /// Rows in the files.
    fn rows(&self) -> u64 {
        self.files.iter().map(|(_, rows)| rows).sum()
    }

    /// The engine's list literal of the files: `['a.parquet', 'b.parquet']`.
    fn list(&self) -> String {
        let paths: Vec<PathBuf> = self.files.iter().map(|(f, _)| f.clone()).collect();
        file_list(&paths)
    }

    /// The whole source: the file list directly when possible, else a `LOAD FROM` subquery
    /// selecting the columns by name.
    fn whole(&self) -> String {
        if self.in_order {
            self.list()
        } else {
            format!(
                "(LOAD FROM {} RETURN {})",
                self.list(),
                self.select.join(", ")
            )
        }
    }

    /// The source cut into runs of consecutive files holding fewer than `max_rows` rows each (a
    /// file with more rows is a run of its own), one `COPY` per run; see [`NODE_GROUP_ROWS`].
    fn runs(&self, max_rows: u64) -> Vec<CopySource> {
        let mut runs: Vec<Vec<(PathBuf, u64)>> = Vec::new();
        let mut run_rows = 0;
        for (file, rows) in &self.files {
            match runs.last_mut() {
                Some(run) if run_rows + rows < max_rows => {
                    run.push((file.clone(), *rows));
                    run_rows += rows;
                }
                _ => {
                    runs.push(vec![(file.clone(), *rows)]);
                    run_rows = *rows;
                }
            }
        }
        runs.into_iter()
            .map(|files| CopySource {
                select: self.select.clone(),
                in_order: self.in_order,
                files,
            })
            .collect()
    }

    /// One row of the files (the `skip`-th), to prime an empty relationship table: the engine's
    /// first COPY into an empty relationship table with a floating-point property takes minutes
    /// (measured: 1 M `TRANSFER` rows with a DOUBLE, 97 s in memory), while a COPY into a
    /// non-empty table is fast (the same rows: 1.0 s). The primer is deleted after the load.
    fn primer(&self, skip: u64) -> String {
        format!(
            "(LOAD FROM {} RETURN {} SKIP {skip} LIMIT 1)",
            self.list(),
            self.select.join(", ")
        )
    }
}

/// The engine's list literal of local files: `['a.parquet', 'b.parquet']`.
fn file_list(files: &[PathBuf]) -> String {
    let quoted: Vec<String> = files
        .iter()
        .map(|f| quote_str(&f.display().to_string()))
        .collect();
    format!("[{}]", quoted.join(", "))
}

/// Inspects the files of one table: every expected column present (matched case-insensitively),
/// and how many rows they hold (from their footers, see [`parquet_footer`]).
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
    let mut per_file = Vec::with_capacity(files.len());
    let mut in_order = true;
    let mut actual_names: Vec<String> = Vec::new();
    let exp_lower: Vec<String> = expected.iter().map(|c| c.to_ascii_lowercase()).collect();
    for f in files {
        // The footer says both without reading the data; the engine's scanner is the fallback
        // for files the footer reader does not handle (and reports what is wrong with them).
        let (file_rows, columns) = match parquet_footer::read(f) {
            Ok(footer) => (footer.rows, footer.columns),
            Err(_) => parquet_rows_and_columns(conn, f)
                .map_err(|m| load_err(format!("{}: {m}", f.display())))?,
        };
        per_file.push((f.clone(), file_rows));
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
        select,
        in_order,
        files: per_file,
    })
}

pub(super) fn duplicate_key(message: &str) -> Option<String> {
    let start =
        message.find("duplicated primary key value ")? + "duplicated primary key value ".len();
    let rest = &message[start..];
    let end = rest.find(", which violates").unwrap_or(rest.len());
    Some(rest[..end].to_string())
}

/// `(table, CREATE statement)` per label and type, with the mapping's columns and nothing else.
fn table_statements(nodes: &[NodeDefinition], edges: &[EdgeDefinition]) -> Vec<(String, String)> {
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
    statements
}

impl RyuEngine {
    /// Runs `(table, statement)` pairs in order on the writer thread; the first failure stops
    /// them and becomes `error(table, message)` (schema and load failures name their table).
    fn run_statements(
        &self,
        statements: Vec<(String, String)>,
        error: fn(String, String) -> EngineError,
    ) -> Result<(), EngineError> {
        self.on_writer(move |conn| {
            for (table, statement) in statements {
                conn.query(&statement)
                    .map_err(|e| error(table, engine_err(e)))?;
            }
            Ok(())
        })?
    }

    pub(super) fn create_tables(
        &self,
        nodes: &[NodeDefinition],
        edges: &[EdgeDefinition],
    ) -> Result<(), EngineError> {
        let statements = table_statements(nodes, edges);
        self.run_statements(statements, |table, message| EngineError::Schema {
            table,
            message,
        })?;
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
                let rows_in_files = source.as_ref().map_or(0, CopySource::rows);
                let Some(source) = source else {
                    return Ok((0, 0));
                };
                let mut copied = Some(0);
                for run_source in source.runs(NODE_GROUP_ROWS) {
                    let copy = format!("COPY {} FROM {}", quote_ident(&l), run_source.whole());
                    let outcome = match run(conn, &copy) {
                        Ok(rows) => CopyOutcome::of(&rows),
                        Err(message) => {
                            return Err(match duplicate_key(&message) {
                                Some(key) => EngineError::DuplicateKey { label: l, key },
                                None => EngineError::Load { table: l, message },
                            });
                        }
                    };
                    copied = copied.zip(outcome).map(|(sum, o)| sum + o.copied);
                }
                // The table was empty, so what the COPYs stored is what it holds.
                let count = match copied {
                    Some(count) => count,
                    None => scalar_u64(
                        conn,
                        &format!("MATCH (n:{}) RETURN count(n)", quote_ident(&l)),
                    )
                    .map_err(|message| EngineError::Load { table: l, message })?,
                };
                Ok((count, rows_in_files))
            })??;
            report.nodes_loaded(label, count, rows_in_files, progress);
        }
        // Relationship ids follow the nodes' (see `IdSpace`): each type's range starts where the
        // previous one ended, sized by the rows in its files (an upper bound of its offsets).
        let mut next_id: i64 = report
            .node_counts
            .values()
            .map(|c| i64::try_from(*c).unwrap_or(i64::MAX))
            .sum();
        let mut rel_bases = Vec::with_capacity(edges.len());
        for e in edges {
            let name = e.definition.edge_type.clone();
            progress(LoadEvent::TableStarted {
                name: name.clone(),
                kind: TableKind::Edge,
            });
            let mut expected = vec![e.definition.from_key.clone(), e.definition.to_key.clone()];
            expected.extend(e.definition.properties.iter().map(|p| p.name.clone()));
            let columns: Vec<String> = e
                .definition
                .properties
                .iter()
                .map(|p| quote_ident(&p.name))
                .collect();
            let from_key = nodes
                .iter()
                .find(|n| n.definition.label == e.definition.from_node)
                .map(|n| {
                    (
                        n.definition.label.clone(),
                        n.definition.primary_key.name.clone(),
                    )
                });
            let t = name.clone();
            let files = e.files.clone();
            let base = next_id;
            let (count, rows_in_files, span) = self.on_writer(move |conn| {
                let load_err = |message: String| EngineError::Load {
                    table: t.clone(),
                    message,
                };
                let source = if files.is_empty() {
                    None
                } else {
                    Some(copy_source(conn, &t, &files, &expected)?)
                };
                let rows_in_files = source.as_ref().map_or(0, CopySource::rows);
                let Some(source) = source else {
                    return Ok::<_, EngineError>((0, 0, 0));
                };
                let copied =
                    copy_edges(conn, &t, from_key.as_ref(), &columns, &source).map_err(load_err)?;
                let count = match copied.count {
                    Some(count) => count,
                    None => scalar_u64(
                        conn,
                        &format!("MATCH ()-[r:{}]->() RETURN count(r)", quote_ident(&t)),
                    )
                    .map_err(load_err)?,
                };
                Ok((count, rows_in_files, rows_in_files + copied.extra_ids))
            })??;
            rel_bases.push((name.clone(), base));
            next_id = next_id.saturating_add(i64::try_from(span).unwrap_or(i64::MAX));
            report.edges_loaded(name, count, rows_in_files, progress);
        }
        self.build_id_space(&report, &rel_bases)?;
        Ok(report)
    }
}

impl RyuEngine {
    /// After loading: maps engine table ids to the dense `_id` bases of the labels and to the
    /// relationship types' bases chosen while loading (`rel_bases`).
    fn build_id_space(
        &self,
        report: &LoadReport,
        rel_bases: &[(String, i64)],
    ) -> Result<(), EngineError> {
        let nodes = {
            let c = self
                .inner
                .catalog
                .read()
                .map_err(|_| EngineError::Stopped)?;
            c.defs.nodes.clone()
        };
        let counts = report.node_counts.clone();
        let rel_bases = rel_bases.to_vec();
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
                for (edge_type, base) in rel_bases {
                    let t = quote_ident(&edge_type);
                    if let Some(tid) =
                        table_id(format!("MATCH ()-[r:{t}]->() RETURN id(r) LIMIT 1"))?
                    {
                        space.rel_base.insert(tid, (base, edge_type.clone()));
                    }
                    space.rel_bases_by_type.insert(edge_type, base);
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

/// Rows an empty relationship table is primed with at most before its files are copied: a
/// primer whose endpoints are missing is skipped by the engine, so the next row is tried.
const PRIMER_ATTEMPTS: u64 = 3;

/// Rows of one engine node group. A node table's files are copied in runs of fewer rows than
/// this, one `COPY` each: a COPY that fills a whole node group stores it through the engine's
/// segment split, which recomputes the float-compression analysis of the column after every 64
/// values it moves — for a `DOUBLE` column whose values that compression cannot encode (most
/// measured or computed values), about 20 µs per row (400,000 rows with `k / 7.0`: 8.7 s in one
/// COPY, 0.09 s in four; `crates/engine/benches/algorithm_io.rs`). Snapshots write node tables in
/// files small enough (`graph_olap_api::export::NODE_FILE_MAX_ROWS`); a larger file is still
/// copied, by itself.
pub(super) const NODE_GROUP_ROWS: u64 = 1 << 17;

/// Tables with fewer rows are copied without a primer (the engine's slow first COPY only shows
/// on large tables).
const PRIME_FROM_ROWS: u64 = 20_000;

/// What the engine reports about one `COPY`: the rows it stored and the rows it skipped with a
/// warning (`ignore_errors`), read from its result message ("N tuples have been copied to the T
/// table." and "W warnings encountered during copy. …"), so no count query is needed after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct CopyOutcome {
    /// Rows stored.
    pub(super) copied: u64,
    /// Rows skipped with a warning.
    pub(super) warnings: u64,
}

impl CopyOutcome {
    /// Reads the outcome from a COPY's result rows; `None` when the message is not the expected
    /// one (the caller then counts).
    pub(super) fn of(rows: &[Vec<Value>]) -> Option<CopyOutcome> {
        let texts: Vec<String> = rows
            .iter()
            .filter_map(|r| match r.first() {
                Some(Value::String(s)) => Some(s.clone()),
                _ => None,
            })
            .collect();
        let leading = |suffix: &str| {
            texts.iter().find_map(|t| {
                let (number, rest) = t.split_once(' ')?;
                rest.starts_with(suffix)
                    .then(|| number.parse::<u64>().ok())
                    .flatten()
            })
        };
        Some(CopyOutcome {
            copied: leading("tuples have been copied")?,
            warnings: leading("warnings encountered").unwrap_or(0),
        })
    }
}

/// What [`copy_edges`] did.
struct EdgesCopied {
    /// Relationships the table holds, when the engine's COPY message said so.
    count: Option<u64>,
    /// Ids used beyond the files' rows (the primers), so the next type's range starts after this
    /// one's.
    extra_ids: u64,
}

/// The primer row of a relationship table: its offset and, when the source label's primary key
/// is known, the key of its source node (the delete then finds it through the key's index
/// instead of scanning every relationship).
struct Primer {
    offset: i64,
    source_key: Option<Value>,
}

/// Copies one edge table's files. A relationship's `_id` is its type's base plus the offset the
/// engine gives it, read from the engine's own id in results (see `arrow_rows`), so nothing is
/// stored for it. A large table is first primed with one row (see [`CopySource::primer`]),
/// deleted afterwards through `from_key` (the source label and its primary key column); the
/// primer's offset stays unused, so `extra_ids` counts it.
fn copy_edges(
    conn: &Connection<'_>,
    table: &str,
    from_key: Option<&(String, String)>,
    columns: &[String],
    source: &CopySource,
) -> Result<EdgesCopied, String> {
    let t = quote_ident(table);
    // Rows whose endpoint key matches no node are skipped by the engine and recorded as
    // warnings; any other kind of warning fails the load.
    let copy = |from: &str| {
        run(
            conn,
            &format!(
                "COPY {t}({}) FROM {from} (ignore_errors=true)",
                columns.join(", ")
            ),
        )
        .map(|rows| CopyOutcome::of(&rows))
    };
    let mut extra_ids = 0;
    let mut primer = None;
    if source.rows() >= PRIME_FROM_ROWS {
        while primer.is_none() && extra_ids < PRIMER_ATTEMPTS {
            copy(&source.primer(extra_ids))?;
            extra_ids += 1;
            primer = primer_row(conn, &t, from_key)?;
        }
    }
    let whole = copy(&source.whole())?;
    if whole.is_none_or(|o| o.warnings > 0) {
        let warnings = run(conn, "CALL show_warnings() RETURN message")?;
        let _ = conn.query("CALL clear_warnings()");
        if let Some(other) = warnings
            .iter()
            .map(|w| w.first().map(ToString::to_string).unwrap_or_default())
            .find(|text| !text.contains("Unable to find primary key"))
        {
            return Err(other);
        }
    }
    if let Some(p) = primer {
        delete_primer(conn, &t, from_key, p)?;
    }
    Ok(EdgesCopied {
        count: whole.map(|o| o.copied),
        extra_ids,
    })
}

/// The one row a primed relationship table holds, if the primer was stored (a primer whose
/// endpoints are missing is skipped).
fn primer_row(
    conn: &Connection<'_>,
    t: &str,
    from_key: Option<&(String, String)>,
) -> Result<Option<Primer>, String> {
    let key = from_key.map_or_else(
        || "NULL".to_string(),
        |(_, pk)| format!("a.{}", quote_ident(pk)),
    );
    let rows = run(
        conn,
        &format!("MATCH (a)-[r:{t}]->() RETURN offset(id(r)), {key}"),
    )?;
    Ok(match rows.as_slice() {
        [row] => match row.as_slice() {
            [Value::Int64(offset), key] => Some(Primer {
                offset: *offset,
                source_key: from_key.is_some().then(|| key.clone()),
            }),
            _ => None,
        },
        _ => None,
    })
}

/// Deletes the primer: found through its source node's primary key when known, else by a scan.
fn delete_primer(
    conn: &Connection<'_>,
    t: &str,
    from_key: Option<&(String, String)>,
    primer: Primer,
) -> Result<(), String> {
    let offset = primer.offset;
    match (from_key, primer.source_key) {
        (Some((label, pk)), Some(key)) => {
            let statement = format!(
                "MATCH (a:{} {{{}: $key}})-[r:{t}]->() WHERE offset(id(r)) = {offset} DELETE r",
                quote_ident(label),
                quote_ident(pk)
            );
            let mut prepared = conn.prepare(&statement).map_err(engine_err)?;
            conn.execute(&mut prepared, vec![("key", key)])
                .map_err(engine_err)?;
        }
        _ => {
            conn.query(&format!(
                "MATCH ()-[r:{t}]->() WHERE offset(id(r)) = {offset} DELETE r"
            ))
            .map_err(engine_err)?;
        }
    }
    Ok(())
}

#[cfg(feature = "test-support")]
impl RyuEngine {
    /// Benchmark bound: the engine's plain job on a snapshot — the tables created as the mapping
    /// says and each filled by one `COPY FROM` of its files, nothing else (no inspection, runs,
    /// counts, warnings, primer deletion or id space). With `primed`, each large relationship table
    /// first gets one row of its files, the least the engine needs to avoid its slow first COPY
    /// into an empty relationship table (see [`CopySource::primer`]); the primer stays.
    pub fn copy_only(
        &self,
        nodes: &[crate::NodeLoad],
        edges: &[crate::EdgeLoad],
        primed: bool,
    ) -> Result<(), EngineError> {
        let node_defs: Vec<NodeDefinition> = nodes.iter().map(|n| n.definition.clone()).collect();
        let edge_defs: Vec<EdgeDefinition> = edges.iter().map(|e| e.definition.clone()).collect();
        let mut statements: Vec<(String, String)> = table_statements(&node_defs, &edge_defs);
        for n in nodes.iter().filter(|n| !n.files.is_empty()) {
            let copy = format!(
                "COPY {} FROM {}",
                quote_ident(&n.definition.label),
                file_list(&n.files)
            );
            statements.push((n.definition.label.clone(), copy));
        }
        for e in edges.iter().filter(|e| !e.files.is_empty()) {
            let t = quote_ident(&e.definition.edge_type);
            let files = file_list(&e.files);
            if primed {
                let primer = format!("COPY {t} FROM (LOAD FROM {files} RETURN * LIMIT 1)");
                statements.push((e.definition.edge_type.clone(), primer));
            }
            let copy = format!("COPY {t} FROM {files}");
            statements.push((e.definition.edge_type.clone(), copy));
        }
        self.run_statements(statements, |table, message| EngineError::Load {
            table,
            message,
        })
    }

    /// Benchmark bound: runs statements on the write connection as they are (no gate, no
    /// read-only transaction), e.g. the engine's own `SET` of every node to a constant.
    pub fn execute_unchecked(&self, statements: &[&str]) -> Result<(), EngineError> {
        let statements = statements
            .iter()
            .map(|s| (String::new(), (*s).to_string()))
            .collect();
        self.run_statements(statements, |_, message| EngineError::Internal(message))
    }

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
    fn node_files_are_copied_in_runs_under_a_node_group() {
        let files: Vec<(PathBuf, u64)> = [100_000, 100_000, 20_000, 200_000, 5, 0]
            .iter()
            .enumerate()
            .map(|(i, rows)| (PathBuf::from(format!("/s/part-{i}.parquet")), *rows))
            .collect();
        let source = CopySource {
            select: vec!["`key`".into()],
            in_order: true,
            files,
        };
        let runs = source.runs(NODE_GROUP_ROWS);
        let shape: Vec<(usize, u64)> = runs.iter().map(|r| (r.files.len(), r.rows())).collect();
        assert_eq!(
            shape,
            vec![(1, 100_000), (2, 120_000), (1, 200_000), (2, 5)]
        );
        assert_eq!(runs[1].list(), "['/s/part-1.parquet', '/s/part-2.parquet']");
        assert_eq!(runs.iter().map(|r| r.rows()).sum::<u64>(), source.rows());
        assert!(runs.iter().all(|r| r.in_order && r.select == source.select));
    }

    #[test]
    fn copy_outcome_is_read_from_the_message() {
        let text = |s: &str| vec![Value::String(s.into())];
        let rows = vec![
            text("1000 tuples have been copied to the TRANSFER table."),
            text(
                "3 warnings encountered during copy. Use 'CALL show_warnings() RETURN *' to view the actual warnings. Query ID: 7",
            ),
        ];
        assert_eq!(
            CopyOutcome::of(&rows),
            Some(CopyOutcome {
                copied: 1000,
                warnings: 3
            })
        );
        let clean = vec![text("0 tuples have been copied to the City table.")];
        assert_eq!(
            CopyOutcome::of(&clean),
            Some(CopyOutcome {
                copied: 0,
                warnings: 0
            })
        );
        assert_eq!(CopyOutcome::of(&[text("Copied.")]), None);
        assert_eq!(CopyOutcome::of(&[]), None);
    }

    #[test]
    fn duplicate_key_is_extracted() {
        let m = "Copy exception: Found duplicated primary key value c1, which violates the uniqueness constraint of the primary key column.";
        assert_eq!(duplicate_key(m).as_deref(), Some("c1"));
    }
}
