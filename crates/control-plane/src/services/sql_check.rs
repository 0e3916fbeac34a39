//! The static SQL check every mapping query gets before it reaches a warehouse: exactly one
//! read statement (`SELECT`, `WITH`, `VALUES` or `TABLE`), comments and one trailing `;` allowed,
//! and no keyword of a writing statement anywhere in it (a data-modifying `WITH`, `SELECT … INTO`,
//! `FOR UPDATE`). The warehouses enforce read-only sessions as well; this check refuses such SQL
//! when the mapping is saved, whatever warehouse runs it later.
//! A small lexer skips string literals, quoted identifiers and comments so that a `;` or a
//! keyword inside them is never mistaken for structure.

/// Keywords of statements and clauses that write or lock, refused anywhere outside literals and
/// quoted identifiers.
const WRITE_WORDS: &[&str] = &[
    "INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "TRUNCATE", "DROP", "ALTER", "CREATE",
    "GRANT", "REVOKE", "COPY", "CALL", "EXECUTE", "INTO",
];

/// Checks that `sql` is a single read statement; the error is a sentence for the user.
pub fn single_read_statement(sql: &str) -> Result<(), String> {
    let tokens = words_and_semicolons(sql)?;
    let first = tokens
        .iter()
        .find(|t| *t != ";")
        .ok_or("The SQL is empty")?;
    if !matches!(
        first.to_ascii_uppercase().as_str(),
        "SELECT" | "WITH" | "VALUES" | "TABLE" | "("
    ) {
        return Err(format!(
            "The SQL must be one read statement (SELECT, WITH, VALUES or TABLE), not '{first}'"
        ));
    }
    if let Some(word) = tokens
        .iter()
        .find(|t| WRITE_WORDS.contains(&t.to_ascii_uppercase().as_str()))
    {
        return Err(format!(
            "The SQL must only read: '{word}' belongs to a statement that writes (quote it if it names a column)"
        ));
    }
    let last_non_semi = tokens.iter().rposition(|t| t != ";").unwrap_or(0);
    if tokens[..last_non_semi].iter().any(|t| t == ";")
        || tokens[last_non_semi..].iter().filter(|t| *t == ";").count() > 1
    {
        return Err("The SQL must be exactly one statement (one trailing ';' is allowed)".into());
    }
    Ok(())
}

/// Tokenises into words, `(` and `;`, skipping literals and comments.
fn words_and_semicolons(sql: &str) -> Result<Vec<String>, String> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\'' | '"' | '`' => {
                let quote = c;
                i += 1;
                loop {
                    if i >= chars.len() {
                        return Err(
                            "The SQL has an unterminated quoted string or identifier".into()
                        );
                    }
                    if chars[i] == quote {
                        if chars.get(i + 1) == Some(&quote) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                out.push("literal".into());
                i += 1;
            }
            '-' if chars.get(i + 1) == Some(&'-') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                    i += 1;
                }
                if i + 1 >= chars.len() {
                    return Err("The SQL has an unterminated /* comment".into());
                }
                i += 2;
            }
            ';' => {
                out.push(";".into());
                i += 1;
            }
            '(' => {
                out.push("(".into());
                i += 1;
            }
            c if c.is_alphanumeric() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                out.push(chars[start..i].iter().collect());
            }
            _ => i += 1,
        }
    }
    Ok(out)
}

/// Whether the SQL reads from the reserved relation `placeholder` (a pre-staged definition, §4.11).
pub fn references_placeholder(sql: &str) -> bool {
    let Ok(tokens) = words_and_semicolons(sql) else {
        return false;
    };
    tokens.windows(2).any(|w| {
        matches!(w[0].to_ascii_uppercase().as_str(), "FROM" | "JOIN")
            && w[1].eq_ignore_ascii_case("placeholder")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_reads_with_comments_and_literals() {
        for ok in [
            "SELECT 1",
            "select a FROM t;",
            "-- note\nWITH x AS (SELECT 1) SELECT * FROM x",
            "SELECT ';' AS semi, 'DELETE' AS word",
            "/* ; */ SELECT 1 ;  ",
            "VALUES (1)",
            "SELECT \"update\", 'DELETE FROM t' AS text, last_update, created_at FROM t",
        ] {
            assert!(single_read_statement(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_writes_and_multiple_statements() {
        for bad in [
            "DELETE FROM t",
            "SELECT 1; SELECT 2",
            "SELECT 1;;",
            "",
            "  -- only a comment",
            "SELECT 'open",
            "DROP TABLE x",
            "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d",
            "with u as (update t set a = 1 returning a) select a from u",
            "SELECT * INTO copy_of_t FROM t",
            "SELECT a FROM t FOR UPDATE",
            "WITH x AS (INSERT INTO t VALUES (1) RETURNING 1) SELECT 1",
            "(SELECT 1) UNION (SELECT a FROM t FOR UPDATE)",
        ] {
            assert!(single_read_statement(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn detects_placeholder_relations() {
        assert!(references_placeholder("SELECT id FROM placeholder"));
        assert!(references_placeholder(
            "select a from t JOIN Placeholder p ON true"
        ));
        assert!(!references_placeholder("SELECT 'placeholder' FROM t"));
    }
}
