//! [`redact_sql`]: SQL text with the values of secret object store options masked, for
//! everywhere a statement's text is kept or shown: the log, and the definition DataFusion
//! stores with a table (`SHOW CREATE TABLE`, `information_schema.views`).

use std::borrow::Cow;

use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};
use trebuchet_cluster::{REDACTED, is_secret_option, store_namespace};

/// What a statement that cannot be tokenized, and may hold a secret, is shown as.
const UNREADABLE: &str = "<statement not shown: it may hold object store credentials>";

/// `sql` with the value of every secret option (`'aws.secret_access_key' '…'`, quoted or
/// not, with or without `=`) replaced by `'******'`.
pub(crate) fn redact_sql(sql: &str) -> Cow<'_, str> {
    let lowered = sql.to_ascii_lowercase();
    if !["aws.", "gcp.", "azure.", "http."]
        .iter()
        .any(|namespace| lowered.contains(namespace))
    {
        return Cow::Borrowed(sql);
    }
    let tokens = match Tokenizer::new(&GenericDialect {}, sql).tokenize_with_location() {
        Ok(tokens) => tokens,
        Err(_) => return Cow::Borrowed(UNREADABLE),
    };
    let secrets = secret_values(&tokens);
    if secrets.is_empty() {
        return Cow::Borrowed(sql);
    }
    let offsets = LineOffsets::new(sql);
    let mut redacted = String::with_capacity(sql.len());
    let mut copied = 0;
    for (start, end) in secrets {
        let (Some(start), Some(end)) = (offsets.byte(sql, start), offsets.byte(sql, end)) else {
            return Cow::Borrowed(UNREADABLE);
        };
        if start < copied || end < start {
            return Cow::Borrowed(UNREADABLE);
        }
        redacted.push_str(&sql[copied..start]);
        redacted.push_str(&format!("'{REDACTED}'"));
        copied = end;
    }
    redacted.push_str(&sql[copied..]);
    Cow::Owned(redacted)
}

/// The spans of the tokens that are values of secret options, in order.
fn secret_values(tokens: &[TokenWithSpan]) -> Vec<(Location, Location)> {
    let significant: Vec<&TokenWithSpan> = tokens
        .iter()
        .filter(|token| !matches!(token.token, Token::Whitespace(_)))
        .collect();
    let mut spans = Vec::new();
    let mut index = 0;
    while index < significant.len() {
        let (key, after_key) = option_key(&significant, index);
        index = after_key.max(index + 1);
        if !key.is_some_and(|key| is_secret_store_option(&key)) {
            continue;
        }
        let mut value = after_key;
        if significant
            .get(value)
            .is_some_and(|token| token.token == Token::Eq)
        {
            value += 1;
        }
        if let Some(token) = significant.get(value)
            && is_option_value(&token.token)
        {
            spans.push((token.span.start, token.span.end));
            index = value + 1;
        }
    }
    spans
}

/// Whether `token` can be an option's value: a literal, or a word that is no keyword.
fn is_option_value(token: &Token) -> bool {
    match token {
        Token::Word(word) => word.keyword == Keyword::NoKeyword,
        Token::Number(..)
        | Token::SingleQuotedString(_)
        | Token::DoubleQuotedString(_)
        | Token::TripleSingleQuotedString(_)
        | Token::TripleDoubleQuotedString(_)
        | Token::DollarQuotedString(_)
        | Token::SingleQuotedByteStringLiteral(_)
        | Token::DoubleQuotedByteStringLiteral(_)
        | Token::SingleQuotedRawStringLiteral(_)
        | Token::DoubleQuotedRawStringLiteral(_)
        | Token::NationalStringLiteral(_)
        | Token::EscapedStringLiteral(_)
        | Token::UnicodeStringLiteral(_)
        | Token::HexStringLiteral(_) => true,
        _ => false,
    }
}

/// The option key starting at `index` (a quoted string, or words joined by dots) and the
/// index after it.
fn option_key(tokens: &[&TokenWithSpan], index: usize) -> (Option<String>, usize) {
    match &tokens[index].token {
        Token::SingleQuotedString(text) | Token::DoubleQuotedString(text) => {
            (Some(text.clone()), index + 1)
        }
        Token::Word(word) => {
            let mut key = word.value.clone();
            let mut next = index + 1;
            while let (Some(dot), Some(part)) = (tokens.get(next), tokens.get(next + 1)) {
                match (&dot.token, &part.token) {
                    (Token::Period, Token::Word(word)) => {
                        key.push('.');
                        key.push_str(&word.value);
                        next += 2;
                    }
                    _ => break,
                }
            }
            (Some(key), next)
        }
        _ => (None, index + 1),
    }
}

/// Whether `key` is a secret option of an object store namespace (`aws.secret_access_key`).
fn is_secret_store_option(key: &str) -> bool {
    let Some((namespace, _)) = key.split_once('.') else {
        return false;
    };
    let namespace = namespace.to_ascii_lowercase();
    let known = ["s3", "gs", "az", "http"]
        .iter()
        .any(|scheme| store_namespace(scheme) == Some(namespace.as_str()));
    known && is_secret_option(key)
}

/// Byte offsets of line starts, to turn the tokenizer's (line, column) into byte offsets.
struct LineOffsets {
    starts: Vec<usize>,
}

impl LineOffsets {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(at, _)| at + 1));
        Self { starts }
    }

    /// The byte offset of a 1-based (line, column in characters) location.
    fn byte(&self, text: &str, location: Location) -> Option<usize> {
        let line = usize::try_from(location.line).ok()?.checked_sub(1)?;
        let column = usize::try_from(location.column).ok()?.checked_sub(1)?;
        let start = *self.starts.get(line)?;
        let rest = &text[start..];
        match rest.char_indices().nth(column) {
            Some((offset, _)) => Some(start + offset),
            None if rest.chars().count() == column => Some(text.len()),
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_secret_values_and_keeps_the_rest() {
        let sql = "CREATE EXTERNAL TABLE t STORED AS PARQUET LOCATION 's3://b/p/' OPTIONS (\n  \
                   'aws.access_key_id' 'AKID', 'aws.secret_access_key' 'wJal''rXU/K7',\n  \
                   'aws.region' 'us-east-1', aws.session_token = 'tok')";
        let redacted = redact_sql(sql);
        for secret in ["AKID", "wJal", "rXU/K7", "tok'"] {
            assert!(!redacted.contains(secret), "{redacted}");
        }
        assert!(
            redacted.contains("'aws.region' 'us-east-1'") && redacted.contains("'s3://b/p/'"),
            "{redacted}"
        );
        assert_eq!(redacted.matches(REDACTED).count(), 3, "{redacted}");
    }

    #[test]
    fn statements_without_store_options_are_untouched() {
        let sql = "SELECT 'aws.secret_access_key' AS k, ümlaut FROM t";
        assert_eq!(redact_sql(sql), sql);
        let plain = "SELECT * FROM lineitem WHERE l_comment = 'key'";
        assert!(matches!(redact_sql(plain), Cow::Borrowed(text) if text == plain));
    }

    #[test]
    fn multibyte_text_before_the_secret_is_kept_intact() {
        let sql = "COPY (SELECT 'héllo ✓') TO 's3://b/x.parquet' OPTIONS ('aws.secret_access_key' 'sëcret')";
        let redacted = redact_sql(sql);
        assert!(redacted.contains("'héllo ✓'"), "{redacted}");
        assert!(!redacted.contains("sëcret"), "{redacted}");
    }

    #[test]
    fn unreadable_statements_naming_a_store_are_hidden_whole() {
        let sql = "CREATE EXTERNAL TABLE t OPTIONS ('aws.secret_access_key' 'abc";
        assert_eq!(redact_sql(sql), UNREADABLE);
    }
}
