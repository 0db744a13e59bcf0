//! Reading a differential test file: statements ending at a line that ends with `;`, and
//! the `-- differs:` directive that marks a deliberate difference.

use std::path::Path;

/// One statement of a test file.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    /// Line of the file the statement starts on, for reports.
    pub(crate) line: usize,
    pub(crate) sql: String,
    /// Why the two answers are not compared, when they differ on purpose.
    pub(crate) differs: Option<String>,
}

const DIFFERS: &str = "-- differs:";

/// The statements of `path`, in order.
pub(crate) fn read_cases(path: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    parse_cases(&text)
}

fn parse_cases(text: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut differs = None;
    let mut statement: Option<(usize, String)> = None;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if statement.is_none() {
            if trimmed.is_empty() {
                continue;
            }
            if let Some(reason) = trimmed.strip_prefix(DIFFERS) {
                differs = Some(reason.trim().to_string());
                continue;
            }
            if trimmed.starts_with("--") {
                continue;
            }
        }
        let (_, sql) = statement.get_or_insert_with(|| (index + 1, String::new()));
        sql.push_str(line);
        sql.push('\n');
        if trimmed.ends_with(';') && !trimmed.starts_with("--") {
            let (line, sql) = statement.take().expect("a statement is open");
            let sql = sql.trim().trim_end_matches(';').trim().to_string();
            cases.push(Case {
                line,
                sql,
                differs: differs.take(),
            });
        }
    }
    if let Some((line, sql)) = statement {
        panic!("the statement at line {line} does not end with `;`: {sql}");
    }
    cases
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_end_at_a_semicolon_ending_a_line_and_carry_their_directive() {
        let cases = parse_cases(
            "-- a comment\nSELECT 1;\n\n-- differs: on purpose\nSELECT 'a;b'\n  -- inside\n  FROM t;\n",
        );
        assert_eq!(cases.len(), 2);
        assert_eq!((cases[0].line, cases[0].sql.as_str()), (2, "SELECT 1"));
        assert_eq!(cases[0].differs, None);
        assert_eq!(cases[1].line, 5);
        assert_eq!(cases[1].sql, "SELECT 'a;b'\n  -- inside\n  FROM t");
        assert_eq!(cases[1].differs.as_deref(), Some("on purpose"));
    }
}
