//! Atomic write-back of a computed node column: one transaction per result, the column added
//! (or replaced when its type changes) per label, values set by offset.

use super::*;

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
        let mut lists: Vec<Vec<Value>> = Vec::new();
        let mut masks: Vec<Vec<bool>> = plan
            .iter()
            .map(|(_, _, _, count)| vec![false; *count as usize])
            .collect();
        let null = match ty {
            WriteType::Int64 => LogicalType::Int64,
            WriteType::Double => LogicalType::Double,
            WriteType::Bool => LogicalType::Bool,
        };
        for (_, _, _, count) in &plan {
            lists.push(vec![Value::Null(null.clone()); *count as usize]);
        }
        let mut written = 0u64;
        for (i, id) in column.node_ids.iter().enumerate() {
            let Some(p) = plan
                .iter()
                .position(|(_, _, first, count)| *id >= *first && *id < first + count)
            else {
                return Err(wb_err(format!("node {id} is not in the labels in scope")));
            };
            let offset = (*id - plan[p].2) as usize;
            masks[p][offset] = true;
            lists[p][offset] = match &column.values {
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
                for (((label, existing, _, _), values), mask) in plan_for_job.iter().zip(lists).zip(masks) {
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
                    if values.is_empty() {
                        continue;
                    }
                    let mut stmt;
                    let mut params = vec![("vals", Value::List(null_for_job.clone(), values))];
                    if mask.iter().all(|listed| *listed) {
                        let set = format!(
                            "MATCH (n:{}) SET n.{} = list_extract($vals, offset(id(n)) + 1)",
                            quote_ident(label),
                            quote_ident(&property)
                        );
                        stmt = conn.prepare(&set).map_err(engine_err)?;
                    } else {
                        // Only the listed nodes: the others keep what they had.
                        let set = format!(
                            "MATCH (n:{}) WHERE list_extract($listed, offset(id(n)) + 1) SET n.{} = list_extract($vals, offset(id(n)) + 1)",
                            quote_ident(label),
                            quote_ident(&property)
                        );
                        stmt = conn.prepare(&set).map_err(engine_err)?;
                        params.push(("listed", Value::List(LogicalType::Bool, mask.into_iter().map(Value::Bool).collect())));
                    }
                    conn.execute(&mut stmt, params).map_err(engine_err)?;
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
