//! What a statement answered, in a form both sides can be compared in: the result's
//! columns and rows rendered as text, or the error's code and message.

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use std::sync::Arc;

use arrow::datatypes::{
    DataType, FieldRef, Fields, Float16Type, Float32Type, Float64Type, SchemaRef,
};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::error::DataFusionError;

/// The answer to one statement.
#[derive(Debug)]
pub(crate) enum Answer {
    Rows {
        columns: Vec<(String, DataType)>,
        rows: Vec<Vec<String>>,
    },
    Error {
        code: tonic::Code,
        message: String,
    },
}

impl Answer {
    pub(crate) fn rows(schema: &SchemaRef, batches: &[RecordBatch]) -> Self {
        let columns = schema
            .fields()
            .iter()
            .map(|field| (field.name().clone(), field.data_type().clone()))
            .collect();
        let mut rows = Vec::new();
        for batch in batches {
            let rendered: Vec<Vec<String>> = batch.columns().iter().map(render_column).collect();
            for row in 0..batch.num_rows() {
                rows.push(rendered.iter().map(|column| column[row].clone()).collect());
            }
        }
        Self::Rows { columns, rows }
    }

    /// DataFusion's answer as Trebuchet sends it, on purpose (`result_schema.rs`): view
    /// types as their plain counterparts, which JDBC 18 cannot read, and dictionaries as
    /// their values, because the Flight SQL JDBC driver cannot read dictionary-encoded
    /// columns.
    pub(crate) fn into_sent(self) -> Self {
        match self {
            Self::Rows { columns, rows } => Self::Rows {
                columns: columns
                    .into_iter()
                    .map(|(name, data_type)| (name, sent_type(&data_type)))
                    .collect(),
                rows,
            },
            error => error,
        }
    }

    /// DataFusion's error, with the gRPC code our error table (docs/architecture.md) gives it.
    pub(crate) fn datafusion_error(err: &DataFusionError) -> Self {
        Self::Error {
            code: code_for(err),
            message: err.strip_backtrace(),
        }
    }

    /// Sorts the rows, for results whose order SQL leaves open.
    pub(crate) fn sort_rows(&mut self) {
        if let Self::Rows { rows, .. } = self {
            rows.sort();
        }
    }

    /// A short description for reports: the columns and the first rows, or the error.
    pub(crate) fn describe(&self) -> String {
        const SHOWN: usize = 12;
        match self {
            Self::Error { code, message } => format!("error {code:?}: {message}"),
            Self::Rows { columns, rows } => {
                let header: Vec<String> = columns
                    .iter()
                    .map(|(name, data_type)| format!("{name}: {data_type}"))
                    .collect();
                let mut text = format!("{} rows [{}]", rows.len(), header.join(", "));
                for row in rows.iter().take(SHOWN) {
                    text.push_str(&format!("\n      ({})", row.join(", ")));
                }
                if rows.len() > SHOWN {
                    text.push_str("\n      ...");
                }
                text
            }
        }
    }
}

/// `data_type` as Trebuchet sends it: every dictionary replaced by its value type and every
/// view type by its plain counterpart, nested ones too.
fn sent_type(data_type: &DataType) -> DataType {
    let field = |field: &FieldRef| {
        Arc::new(
            field
                .as_ref()
                .clone()
                .with_data_type(sent_type(field.data_type())),
        )
    };
    match data_type {
        DataType::Dictionary(_, value) => sent_type(value),
        DataType::Utf8View => DataType::Utf8,
        DataType::BinaryView => DataType::Binary,
        DataType::List(item) | DataType::ListView(item) => DataType::List(field(item)),
        DataType::LargeList(item) | DataType::LargeListView(item) => {
            DataType::LargeList(field(item))
        }
        DataType::FixedSizeList(item, size) => DataType::FixedSizeList(field(item), *size),
        DataType::Struct(fields) => DataType::Struct(fields.iter().map(field).collect::<Fields>()),
        DataType::Map(entries, sorted) => DataType::Map(field(entries), *sorted),
        other => other.clone(),
    }
}

/// Why `ours` is not the answer `oracle` gave, or `None` when it is.
pub(crate) fn mismatch(ours: &Answer, oracle: &Answer) -> Option<String> {
    match (ours, oracle) {
        (
            Answer::Rows { columns, rows },
            Answer::Rows {
                columns: expected_columns,
                rows: expected_rows,
            },
        ) => {
            if columns != expected_columns {
                return Some("the columns differ".into());
            }
            if rows.len() != expected_rows.len() {
                return Some(format!(
                    "{} rows where DataFusion has {}",
                    rows.len(),
                    expected_rows.len()
                ));
            }
            let first = rows.iter().zip(expected_rows).position(|(a, b)| a != b)?;
            Some(format!("row {first} differs"))
        }
        (
            Answer::Error { code, message },
            Answer::Error {
                code: expected_code,
                message: expected,
            },
        ) => {
            // Which bad value an error quotes depends on which task met it first.
            if !masked(message).starts_with(&masked(expected)) {
                return Some("the error message does not start with DataFusion's".into());
            }
            (code != expected_code).then(|| format!("code {code:?}, expected {expected_code:?}"))
        }
        (Answer::Error { .. }, Answer::Rows { .. }) => {
            Some("failed where DataFusion answers".into())
        }
        (Answer::Rows { .. }, Answer::Error { .. }) => {
            Some("answered where DataFusion fails".into())
        }
    }
}

/// `message` with what it quotes ('...') left out.
fn masked(message: &str) -> String {
    message
        .split('\'')
        .enumerate()
        .map(|(index, part)| if index % 2 == 1 { "…" } else { part })
        .collect::<Vec<_>>()
        .join("'")
}

/// The gRPC code `docs/architecture.md` promises for a DataFusion error, judged by its
/// innermost cause.
fn code_for(err: &DataFusionError) -> tonic::Code {
    use tonic::Code;
    match err.find_root() {
        DataFusionError::Plan(message)
            if message.starts_with("table '") && message.ends_with("not found") =>
        {
            Code::NotFound
        }
        DataFusionError::NotImplemented(_) => Code::Unimplemented,
        DataFusionError::ResourcesExhausted(_) => Code::ResourceExhausted,
        DataFusionError::SQL(..)
        | DataFusionError::Plan(_)
        | DataFusionError::SchemaError(..)
        | DataFusionError::Configuration(_)
        | DataFusionError::Execution(_)
        | DataFusionError::ArrowError(..) => Code::InvalidArgument,
        _ => Code::Internal,
    }
}

/// Each value of `column` as text. Floats keep ten significant digits: a distributed sum
/// adds in another order than one process and may differ in the last bits.
fn render_column(column: &ArrayRef) -> Vec<String> {
    let float = |value: f64| {
        if value.is_finite() {
            format!("{value:.9e}")
        } else {
            value.to_string()
        }
    };
    let rendered = |len: usize, value: &dyn Fn(usize) -> String| {
        (0..len)
            .map(|row| {
                if column.is_null(row) {
                    "NULL".to_string()
                } else {
                    value(row)
                }
            })
            .collect()
    };
    match column.data_type() {
        DataType::Float16 => {
            let values = column.as_primitive::<Float16Type>();
            rendered(column.len(), &|row| float(values.value(row).to_f64()))
        }
        DataType::Float32 => {
            let values = column.as_primitive::<Float32Type>();
            rendered(column.len(), &|row| float(f64::from(values.value(row))))
        }
        DataType::Float64 => {
            let values = column.as_primitive::<Float64Type>();
            rendered(column.len(), &|row| float(values.value(row)))
        }
        _ => {
            let options = FormatOptions::default().with_null("NULL");
            let formatter = ArrayFormatter::try_new(column.as_ref(), &options)
                .expect("arrow formats every type it has");
            rendered(column.len(), &|row| formatter.value(row).to_string())
        }
    }
}
