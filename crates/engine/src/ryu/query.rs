//! Read-only user queries on the reader connections: the read-only transaction, parameters,
//! the engine's timeout and interruption, the shared limits (`crate::limits`), and the
//! classification of the engine's messages.

use super::*;

/// Extracts `(line: L, offset: O)` from a parser message and the source line as snippet.
pub(super) fn syntax_error(message: &str, query: &str) -> QueryError {
    let mut line = None;
    let mut column = None;
    if let Some(pos) = message.find("(line: ") {
        let rest = &message[pos + 7..];
        let l: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        line = l.parse::<usize>().ok();
        if let Some(opos) = rest.find("offset: ") {
            let o: String = rest[opos + 8..]
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            column = o.parse::<usize>().ok().map(|o| o + 1);
        }
    }
    let snippet = line
        .and_then(|l| query.lines().nth(l.saturating_sub(1)))
        .map(str::to_string);
    let first_line = message.lines().next().unwrap_or(message).to_string();
    QueryError {
        kind: QueryErrorKind::Syntax {
            line,
            column,
            snippet,
        },
        message: first_line,
    }
}

pub(super) fn classify_failure(message: &str, query: &str) -> QueryError {
    if message.starts_with("Parser exception") {
        return syntax_error(message, query);
    }
    let (reason, parameter) = if let Some(rest) = message.strip_prefix("Parameter ") {
        let name = rest.split(' ').next().unwrap_or("").to_string();
        (FailureReason::MissingParameter, Some(name))
    } else if message.contains("Divide by zero") {
        (FailureReason::DivisionByZero, None)
    } else if message.contains("function") && message.contains("does not exist") {
        (FailureReason::UnknownFunction, None)
    } else if message.contains("data type")
        || message.contains("Cannot match a built-in function")
        || message.contains("Conversion exception")
    {
        (FailureReason::TypeError, None)
    } else {
        (FailureReason::Other, None)
    };
    QueryError {
        kind: QueryErrorKind::Failed { reason, parameter },
        message: message.to_string(),
    }
}

impl RyuEngine {
    /// Runs a statement in a read-only transaction without the lexical gate. Only for tests that
    /// prove the engine-side line of defence.
    #[doc(hidden)]
    pub fn query_ungated(&self, request: &QueryRequest) -> Result<QueryOutput, QueryError> {
        self.execute_read_only(request, &CancelToken::new(), None)
    }

    /// Runs one statement in a read-only transaction on a pool connection. With
    /// `max_path_length`, the engine's bound on variable-length paths (30 by default, which
    /// silently cuts off longer paths) is raised to it for this statement and restored after.
    fn execute_read_only(
        &self,
        request: &QueryRequest,
        cancel: &CancelToken,
        max_path_length: Option<u64>,
    ) -> Result<QueryOutput, QueryError> {
        let limits = QueryLimits::start(request);
        let mut params = Vec::with_capacity(request.parameters.len());
        for (k, v) in &request.parameters {
            params.push((k.clone(), param_value(k, v)?));
        }
        let ids = self.ids();
        let seq = self
            .inner
            .next_seq
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let slots = Arc::clone(&self.inner.slots);
        let interrupt_tx = self
            .inner
            .interrupt_tx
            .lock()
            .map_err(|_| QueryError::stopped())?
            .clone();
        let cancel_for_job = cancel.clone();
        let query = request.query.clone();
        let (tx, rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |conn, slot| {
            let raised = max_path_length
                .filter(|&n| n > DEFAULT_MAX_PATH_LENGTH)
                .is_some_and(|n| {
                    conn.query(&format!("CALL var_length_extend_max_depth={n}"))
                        .is_ok()
                });
            let outcome = run_user_query(
                conn,
                UserQuery {
                    query: &query,
                    params,
                    limits,
                    seq,
                    slot,
                },
                &slots,
                &interrupt_tx,
                &cancel_for_job,
                &ids,
            );
            if raised {
                let _ = conn.query(&format!(
                    "CALL var_length_extend_max_depth={DEFAULT_MAX_PATH_LENGTH}"
                ));
            }
            let _ = tx.send(outcome);
        });
        self.inner
            .read_tx
            .lock()
            .map_err(|_| QueryError::stopped())?
            .send(job)
            .map_err(|_| QueryError::stopped())?;
        // Waiting for a free connection counts against the timeout.
        loop {
            let remaining = Duration::from_millis(limits.remaining_ms() + 500);
            match rx.recv_timeout(remaining) {
                Ok(outcome) => return outcome,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if limits.expired() {
                        // Still queued or the engine did not stop in time: cancel it and report.
                        cancel.cancel();
                        return Err(limits.timed_out());
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => return Err(QueryError::stopped()),
            }
        }
    }

    pub(super) fn run_query(
        &self,
        request: &QueryRequest,
        cancel: &CancelToken,
    ) -> Result<QueryOutput, QueryError> {
        let schema = self.cypher_schema();
        let source =
            crate::dialect::inline_null_membership_parameters(&request.query, &request.parameters);
        let statement = crate::dialect::prepare_with_schema(
            &source,
            graph_olap_cypher::Dialect::Kuzu,
            &schema,
        )?;
        let translated = QueryRequest {
            query: statement.text.clone(),
            ..request.clone()
        };
        // An unbounded shortest path may be as long as the graph has nodes (Neo4j: unbounded).
        let max_path_length = statement.unbounded_shortest_path.then(|| {
            let nodes: u64 = self.node_ranges().iter().map(|r| u64::from(r.count)).sum();
            nodes.max(1)
        });
        let mut output = self.execute_read_only(&translated, cancel, max_path_length)?;
        if statement.explain {
            let plan = match output.rows.first().and_then(|r| r.first()) {
                Some(GraphValue::String(plan)) => plan.clone(),
                _ => String::new(),
            };
            let text = statement
                .text
                .strip_prefix("EXPLAIN ")
                .unwrap_or(&statement.text);
            output.rows = crate::dialect::explain_rows(text, &plan);
            output.columns = crate::dialect::EXPLAIN_COLUMNS.map(String::from).to_vec();
            output.column_types = vec!["STRING".into(), "STRING".into(), "INT64".into()];
            output.truncated = false;
            return Ok(output);
        }
        // Columns are named by the text as written (`count(*)`, `type(r)`), not by the engine's
        // spelling of the translated text (`COUNT_STAR()`, `LABEL(r)`).
        if let Some(names) = statement.columns
            && names.len() == output.columns.len()
        {
            output.columns = names;
        }
        Ok(output)
    }
}

pub(super) struct UserQuery<'a> {
    query: &'a str,
    params: Vec<(String, Value)>,
    limits: QueryLimits,
    seq: u64,
    slot: usize,
}

pub(super) fn run_user_query(
    conn: &Connection<'_>,
    q: UserQuery<'_>,
    slots: &[Slot],
    interrupt_tx: &Sender<(usize, u64)>,
    cancel: &CancelToken,
    ids: &IdSpace,
) -> Result<QueryOutput, QueryError> {
    let remaining_ms = q.limits.remaining_ms();
    if remaining_ms == 0 {
        return Err(q.limits.timed_out());
    }
    if let Ok(mut running) = slots[q.slot].running.lock() {
        *running = q.seq;
    }
    let tx = interrupt_tx.clone();
    let (slot, seq) = (q.slot, q.seq);
    let already = cancel.set_interrupt_hook(Some(Box::new(move || {
        let _ = tx.send((slot, seq));
    })));
    let outcome = if already {
        Err(QueryError::cancelled())
    } else {
        conn.set_query_timeout(remaining_ms);
        let started = Instant::now();
        let r = execute_in_read_only_tx(conn, &q, ids, started);
        conn.set_query_timeout(0);
        r
    };
    cancel.set_interrupt_hook(None);
    if let Ok(mut running) = slots[q.slot].running.lock() {
        *running = 0;
    }
    match outcome {
        Err(e) if e.message.contains("Interrupted") => Err(q.limits.interrupted(cancel)),
        other => other,
    }
}

pub(super) fn execute_in_read_only_tx(
    conn: &Connection<'_>,
    q: &UserQuery<'_>,
    ids: &IdSpace,
    started: Instant,
) -> Result<QueryOutput, QueryError> {
    if let Err(e) = conn.query("BEGIN TRANSACTION READ ONLY") {
        return Err(QueryError::failed(FailureReason::Other, engine_err(e)));
    }
    let result = (|| {
        let mut statement = conn
            .prepare(q.query)
            .map_err(|e| classify_failure(&engine_err(e), q.query))?;
        let params: Vec<(&str, Value)> = q
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        let mut result = conn
            .execute(&mut statement, params)
            .map_err(|e| classify_failure(&engine_err(e), q.query))?;
        let columns = result.get_column_names();
        let types = result.get_column_data_types();
        let declared: Vec<String> = types.iter().map(logical_type_name).collect();
        let (rows, truncated) = catch_unwind(AssertUnwindSafe(|| {
            // Relationships carry their ids only in the engine's Arrow form; a result the engine
            // cannot export as Arrow (failing before any row is read) takes the row path.
            if arrow_rows::carries_relationships(&types)
                && let Ok(read) = arrow_rows::rows(&mut result, &types, q.limits.max_rows(), ids)
            {
                return read;
            }
            let (rows, truncated) = q.limits.take_rows(result);
            let rows: Vec<Vec<GraphValue>> = rows
                .into_iter()
                .map(|row| row.into_iter().map(|v| convert(v, ids)).collect())
                .collect();
            (rows, truncated)
        }))
        .map_err(|_| {
            QueryError::failed(
                FailureReason::Other,
                "A result value could not be converted",
            )
        })?;
        Ok(q.limits
            .output(started, columns, &declared, rows, truncated))
    })();
    // Read-only: nothing to commit. A no-op if the engine already ended the transaction.
    let _ = conn.query("ROLLBACK");
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parser_messages_give_positions() {
        let msg = "Parser exception: Invalid input <MATCH (a:Person RETURN>: expected rule oC_SingleQuery (line: 1, offset: 16)\n\"MATCH (a:Person RETURN a.name\"";
        let e = syntax_error(msg, "MATCH (a:Person RETURN a.name");
        assert_eq!(
            e.kind,
            QueryErrorKind::Syntax {
                line: Some(1),
                column: Some(17),
                snippet: Some("MATCH (a:Person RETURN a.name".into())
            }
        );
    }

    #[test]
    fn failures_are_classified() {
        let f = |m: &str| classify_failure(m, "").kind;
        assert_eq!(
            f("Parameter age not found."),
            QueryErrorKind::Failed {
                reason: FailureReason::MissingParameter,
                parameter: Some("age".into())
            }
        );
        assert_eq!(
            f("Runtime exception: Divide by zero."),
            QueryErrorKind::Failed {
                reason: FailureReason::DivisionByZero,
                parameter: None
            }
        );
        assert_eq!(
            f("Catalog exception: function FOO does not exist."),
            QueryErrorKind::Failed {
                reason: FailureReason::UnknownFunction,
                parameter: None
            }
        );
    }
}
