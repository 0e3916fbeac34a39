//! Atomic write-back of a computed node column: one transaction per result, the column added
//! (or replaced when its type changes) per label, values set by offset, a slice of offsets per
//! statement.

use super::*;

/// Fewest values one `SET` statement carries (the last one of a label may carry fewer).
const MIN_VALUES_PER_STATEMENT: usize = 1 << 17;
/// Most `SET` statements per label: each scans the whole label for its offset range.
const MAX_STATEMENTS_PER_LABEL: usize = 32;

/// Values per `SET` statement for a label of `count` nodes. The values travel as a list
/// parameter, which the engine copies element by element when it binds the statement; over
/// about a million elements that copy slows down per element (measured: 2 M doubles took 3.7 s
/// in one statement, 2.1 s in sixteen of 131,072), so a label's values go in slices.
fn values_per_statement(count: usize) -> usize {
    count
        .div_ceil(MAX_STATEMENTS_PER_LABEL)
        .max(MIN_VALUES_PER_STATEMENT)
}

/// One statement's share of a label's values: a value per offset in its range, and whether the
/// result lists that node (an unlisted node keeps what it had).
struct Slice {
    values: Vec<Value>,
    listed: Vec<bool>,
}

impl Slice {
    /// `len` offsets, none listed yet.
    fn unset(len: usize, null: &LogicalType) -> Slice {
        Slice {
            values: vec![Value::Null(null.clone()); len],
            listed: vec![false; len],
        }
    }
}

impl RyuEngine {
    pub(super) fn write_column(&self, column: &WriteBack) -> Result<u64, EngineError> {
        let wb_err = |message: String| EngineError::WriteBack {
            property: column.property.clone(),
            message,
        };
        let ty = column.values.write_type();
        let ids = self.ids();
        // Per label: the property's current type (if an earlier result wrote it), and the value
        // list indexed by offset. A result of another type replaces the older one whole: the
        // column is dropped and added again with the new type, in the same transaction.
        let plan: Vec<(String, Option<WriteType>, u32, u32)> = self
            .inner
            .catalog
            .read()
            .map_err(|_| EngineError::Stopped)?
            .defs
            .plan_write(column, &ids.labels)?
            .into_iter()
            .map(|w| (w.label, w.existing, w.range.first_id, w.range.count))
            .collect();
        let null = match ty {
            WriteType::Int64 => LogicalType::Int64,
            WriteType::Double => LogicalType::Double,
            WriteType::Bool => LogicalType::Bool,
        };
        // Per label, its values and whether each node is listed, in slices of
        // `values_per_statement` offsets.
        let slice_len: Vec<usize> = plan
            .iter()
            .map(|(_, _, _, count)| values_per_statement(*count as usize))
            .collect();
        let mut slices: Vec<Vec<Slice>> = plan
            .iter()
            .zip(&slice_len)
            .map(|((_, _, _, count), &len)| {
                let count = *count as usize;
                (0..count.div_ceil(len))
                    .map(|k| Slice::unset(len.min(count - k * len), &null))
                    .collect()
            })
            .collect();
        let mut written = 0u64;
        for (i, id) in column.node_ids.iter().enumerate() {
            let Some(p) = plan
                .iter()
                .position(|(_, _, first, count)| *id >= *first && *id < first + count)
            else {
                return Err(wb_err(format!("node {id} is not in the labels in scope")));
            };
            let offset = (*id - plan[p].2) as usize;
            let (slice, at) = (offset / slice_len[p], offset % slice_len[p]);
            let slice = &mut slices[p][slice];
            slice.listed[at] = true;
            slice.values[at] = match &column.values {
                WriteValues::Int64(v) => v[i].map_or(Value::Null(null.clone()), Value::Int64),
                WriteValues::Double(v) => v[i].map_or(Value::Null(null.clone()), Value::Double),
                WriteValues::Bool(v) => v[i].map_or(Value::Null(null.clone()), Value::Bool),
            };
            written += 1;
        }
        let property = column.property.clone();
        let plan_for_job = plan.clone();
        let null_for_job = null.clone();
        self.on_writer(move |conn| {
            // ryugraph 25.9.2 crashes when a checkpoint (at the latest when the database closes)
            // replays committed updates of a column dropped since the previous checkpoint; so a
            // result replacing one of another type first checkpoints the updates made so far.
            let replaced: Vec<&String> = plan_for_job
                .iter()
                .filter(|(_, existing, _, _)| existing.is_some_and(|old| old != ty))
                .map(|(label, _, _, _)| label)
                .collect();
            if !replaced.is_empty() {
                conn.query("CHECKPOINT").map_err(engine_err)?;
                for label in &replaced {
                    let ddl = format!("ALTER TABLE {} DROP {}", quote_ident(label), quote_ident(&property));
                    conn.query(&ddl).map_err(engine_err)?;
                }
                conn.query("CHECKPOINT").map_err(engine_err)?;
            }
            conn.query("BEGIN TRANSACTION").map_err(engine_err)?;
            let outcome = (|| {
                for ((label, existing, _, _), label_slices) in plan_for_job.iter().zip(slices) {
                    if *existing != Some(ty) {
                        let ddl = format!(
                            "ALTER TABLE {} ADD {} {}",
                            quote_ident(label),
                            quote_ident(&property),
                            match ty {
                                WriteType::Int64 => "INT64",
                                WriteType::Double => "DOUBLE",
                                WriteType::Bool => "BOOLEAN",
                            }
                        );
                        conn.query(&ddl).map_err(engine_err)?;
                    }
                    let every_node = label_slices.iter().all(|s| s.listed.iter().all(|l| *l));
                    // Only the listed nodes: the others keep what they had.
                    let listed_only = if every_node {
                        ""
                    } else {
                        " AND list_extract($listed, offset(id(n)) - $lo + 1)"
                    };
                    let set = format!(
                        "MATCH (n:{}) WHERE offset(id(n)) >= $lo AND offset(id(n)) < $hi{listed_only} SET n.{} = list_extract($vals, offset(id(n)) - $lo + 1)",
                        quote_ident(label),
                        quote_ident(&property)
                    );
                    let mut stmt = conn.prepare(&set).map_err(engine_err)?;
                    let mut lo = 0i64;
                    for Slice { values, listed } in label_slices {
                        let hi = lo + values.len() as i64;
                        if listed.iter().any(|l| *l) {
                            let mut params = vec![
                                ("vals", Value::List(null_for_job.clone(), values)),
                                ("lo", Value::Int64(lo)),
                                ("hi", Value::Int64(hi)),
                            ];
                            if !every_node {
                                let listed = listed.into_iter().map(Value::Bool).collect();
                                params.push(("listed", Value::List(LogicalType::Bool, listed)));
                            }
                            conn.execute(&mut stmt, params).map_err(engine_err)?;
                        }
                        lo = hi;
                    }
                }
                Ok::<(), String>(())
            })();
            match outcome {
                Ok(()) => conn.query("COMMIT").map(|_| ()).map_err(engine_err),
                Err(e) => {
                    let _ = conn.query("ROLLBACK");
                    Err(e)
                }
            }
        })?
        .map_err(wb_err)?;
        self.inner
            .catalog
            .write()
            .map_err(|_| EngineError::Stopped)?
            .defs
            .record_write(column);
        Ok(written)
    }
}
