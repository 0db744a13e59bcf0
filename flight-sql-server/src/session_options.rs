//! The Flight session actions: `SetSessionOptions`, `GetSessionOptions`, `CloseSession`.
//!
//! arrow-flight 59 has no types for them, so their messages (from `Flight.proto`) are
//! declared here. Options are the session's `datafusion.*` and `ballista.*` keys, plus
//! `catalog` and `schema`, which JDBC and ADBC send for the default catalog and schema.

use std::collections::HashMap;

use datafusion::logical_expr::{LogicalPlan, SetVariable, Statement};
use prost::{Message, Oneof};
use trebuchet_cluster::reset_session_option;

use crate::error::{FlightSqlError, Result};
use crate::file_access::FileAccess;
use crate::session::Session;

/// The action type names, as clients send them.
pub(crate) const SET_SESSION_OPTIONS: &str = "SetSessionOptions";
pub(crate) const GET_SESSION_OPTIONS: &str = "GetSessionOptions";
pub(crate) const CLOSE_SESSION: &str = "CloseSession";

#[derive(Clone, PartialEq, Message)]
pub(crate) struct SessionOptionValue {
    #[prost(oneof = "OptionValue", tags = "1, 2, 3, 4, 5")]
    pub option_value: Option<OptionValue>,
}

#[derive(Clone, PartialEq, Oneof)]
pub(crate) enum OptionValue {
    #[prost(string, tag = "1")]
    Text(String),
    #[prost(bool, tag = "2")]
    Bool(bool),
    #[prost(sfixed64, tag = "3")]
    Int64(i64),
    #[prost(double, tag = "4")]
    Double(f64),
    #[prost(message, tag = "5")]
    TextList(StringListValue),
}

#[derive(Clone, PartialEq, Message)]
pub(crate) struct StringListValue {
    #[prost(string, repeated, tag = "1")]
    pub values: Vec<String>,
}

#[derive(Clone, PartialEq, Message)]
pub(crate) struct SetSessionOptionsRequest {
    #[prost(map = "string, message", tag = "1")]
    pub session_options: HashMap<String, SessionOptionValue>,
}

#[derive(Clone, PartialEq, Message)]
pub(crate) struct SetSessionOptionsResult {
    #[prost(map = "string, message", tag = "1")]
    pub errors: HashMap<String, SetSessionOptionError>,
}

#[derive(Clone, PartialEq, Message)]
pub(crate) struct SetSessionOptionError {
    #[prost(enumeration = "SetSessionOptionErrorValue", tag = "1")]
    pub value: i32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, prost::Enumeration)]
#[repr(i32)]
pub(crate) enum SetSessionOptionErrorValue {
    Unspecified = 0,
    InvalidName = 1,
    InvalidValue = 2,
    Error = 3,
}

#[derive(Clone, PartialEq, Message)]
pub(crate) struct GetSessionOptionsResult {
    #[prost(map = "string, message", tag = "1")]
    pub session_options: HashMap<String, SessionOptionValue>,
}

#[derive(Clone, PartialEq, Message)]
pub(crate) struct CloseSessionResult {
    #[prost(enumeration = "CloseSessionStatus", tag = "1")]
    pub status: i32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, prost::Enumeration)]
#[repr(i32)]
pub(crate) enum CloseSessionStatus {
    Unspecified = 0,
    Closed = 1,
    Closing = 2,
    NotCloseable = 3,
}

/// `SetSessionOptions`: applies each option; failures are reported per name, as the spec
/// asks, and do not stop the others.
pub(crate) async fn set(session: &Session, body: &[u8]) -> Result<SetSessionOptionsResult> {
    let request = SetSessionOptionsRequest::decode(body).map_err(|err| {
        FlightSqlError::invalid_request(format!("malformed SetSessionOptionsRequest: {err}"))
    })?;
    // A key naming a path the user may not use refuses the whole request, before any
    // option is applied: a per-option error code could not say why.
    let files = FileAccess::of(session.ctx());
    for (name, value) in &request.session_options {
        if let Some(value) = &value.option_value {
            files.check_session_key(name, &option_text(value.clone()), session.user())?;
        }
    }
    let mut errors = HashMap::new();
    for (name, value) in request.session_options {
        if let Err(error) = set_one(session, &name, value.option_value).await {
            tracing::debug!(option = name, ?error, "session option refused");
            errors.insert(
                name,
                SetSessionOptionError {
                    value: error as i32,
                },
            );
        }
    }
    Ok(SetSessionOptionsResult { errors })
}

/// `GetSessionOptions`: every option of the session with a value, typed by its value.
pub(crate) fn get(session: &Session) -> GetSessionOptionsResult {
    let state = session.ctx().state();
    let options = state.config().options();
    let mut session_options: HashMap<String, SessionOptionValue> = options
        .entries()
        .into_iter()
        .filter_map(|entry| Some((entry.key, typed_value(&entry.value?))))
        .collect();
    let string = |value: &str| SessionOptionValue {
        option_value: Some(OptionValue::Text(value.to_string())),
    };
    session_options.insert("catalog".into(), string(&options.catalog.default_catalog));
    session_options.insert("schema".into(), string(&options.catalog.default_schema));
    GetSessionOptionsResult { session_options }
}

async fn set_one(
    session: &Session,
    name: &str,
    value: Option<OptionValue>,
) -> std::result::Result<(), SetSessionOptionErrorValue> {
    let key = match name {
        "catalog" => "datafusion.catalog.default_catalog",
        "schema" => "datafusion.catalog.default_schema",
        other => other,
    };
    let known = session
        .ctx()
        .state()
        .config()
        .options()
        .entries()
        .iter()
        .any(|entry| entry.key == key)
        || key.starts_with("datafusion.runtime.");
    if !known {
        return Err(SetSessionOptionErrorValue::InvalidName);
    }
    let Some(value) = value else {
        let state = session.ctx().state_ref();
        let mut state = state.write();
        return reset_session_option(&mut state, key)
            .map_err(|_| SetSessionOptionErrorValue::InvalidName);
    };
    let value = option_text(value);
    if !names_existing_object(session, name, &value) {
        return Err(SetSessionOptionErrorValue::InvalidValue);
    }
    let set = LogicalPlan::Statement(Statement::SetVariable(SetVariable {
        variable: key.to_string(),
        value,
    }));
    session
        .ctx()
        .execute_logical_plan(set)
        .await
        .map(|_| ())
        .map_err(|_| SetSessionOptionErrorValue::InvalidValue)
}

/// An option's value as `SET` would take it.
fn option_text(value: OptionValue) -> String {
    match value {
        OptionValue::Text(text) => text,
        OptionValue::Bool(flag) => flag.to_string(),
        OptionValue::Int64(number) => number.to_string(),
        OptionValue::Double(number) => number.to_string(),
        OptionValue::TextList(list) => list.values.join(","),
    }
}

/// `catalog` and `schema` must name a catalog, or a schema of the current catalog.
fn names_existing_object(session: &Session, name: &str, value: &str) -> bool {
    match name {
        "catalog" => session.ctx().catalog(value).is_some(),
        "schema" => {
            let state = session.ctx().state();
            let catalog = &state.config().options().catalog.default_catalog;
            session
                .ctx()
                .catalog(catalog)
                .is_some_and(|catalog| catalog.schema(value).is_some())
        }
        _ => true,
    }
}

/// The most specific option type a textual value reads as.
fn typed_value(text: &str) -> SessionOptionValue {
    let option_value = if let Ok(flag) = text.parse::<bool>() {
        OptionValue::Bool(flag)
    } else if let Ok(number) = text.parse::<i64>() {
        OptionValue::Int64(number)
    } else {
        OptionValue::Text(text.to_string())
    };
    SessionOptionValue {
        option_value: Some(option_value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::test_session;

    fn string(value: &str) -> SessionOptionValue {
        SessionOptionValue {
            option_value: Some(OptionValue::Text(value.into())),
        }
    }

    fn request(options: Vec<(&str, SessionOptionValue)>) -> Vec<u8> {
        SetSessionOptionsRequest {
            session_options: options
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        }
        .encode_to_vec()
    }

    #[tokio::test]
    async fn sets_options_and_reports_each_failure_by_name() {
        let session = test_session();
        let body = request(vec![
            (
                "datafusion.execution.batch_size",
                SessionOptionValue {
                    option_value: Some(OptionValue::Int64(77)),
                },
            ),
            ("catalog", string("datafusion")),
            ("datafusion.nope", string("1")),
            ("datafusion.execution.target_partitions", string("many")),
            ("catalog", string("datafusion")),
        ]);
        let result = set(&session, &body).await.unwrap();
        assert_eq!(result.errors.len(), 2);
        assert_eq!(
            result.errors["datafusion.nope"].value,
            SetSessionOptionErrorValue::InvalidName as i32
        );
        assert_eq!(
            result.errors["datafusion.execution.target_partitions"].value,
            SetSessionOptionErrorValue::InvalidValue as i32
        );
        let options = get(&session).session_options;
        assert_eq!(
            options["datafusion.execution.batch_size"].option_value,
            Some(OptionValue::Int64(77))
        );
        assert_eq!(options["catalog"], string("datafusion"));
        assert_eq!(
            options["ballista.shuffle.sort_based.enabled"].option_value,
            Some(OptionValue::Bool(true))
        );
    }

    #[tokio::test]
    async fn unknown_catalogs_are_invalid_values_and_garbage_is_refused() {
        let session = test_session();
        let result = set(
            &session,
            &request(vec![
                ("catalog", string("nope")),
                ("schema", string("nope")),
            ]),
        )
        .await
        .unwrap();
        assert_eq!(
            result.errors["catalog"].value,
            SetSessionOptionErrorValue::InvalidValue as i32
        );
        assert_eq!(
            result.errors["schema"].value,
            SetSessionOptionErrorValue::InvalidValue as i32
        );
        assert!(set(&session, b"\xff\xff").await.is_err());
    }
}
