//! The configuration every Trebuchet session starts from.
//!
//! Our defaults differ from DataFusion's where distribution demands it (tuning guide):
//! 16 target partitions rather than the core count, sort-merge join (it spills) rather than
//! hash join, one scan partition per file (large Parquet files split by
//! [`crate::ScanPartitions`]) rather than files packed into `target_partitions` groups.
//! Strings are read as view types, as in DataFusion (a fifth less CPU on string-heavy
//! queries, docs/benchmarks.md); results leave the server as plain `Utf8`, which JDBC 18
//! can read (`result_schema.rs`), and a shuffle compacts views before writing them. Three
//! DataFusion features assume one process and are turned off, each because a stage
//! boundary breaks it:
//! - dynamic filter pushdown: the join that fills the filter and the scan that waits for it
//!   end up in different stages, run at different times;
//! - round-robin repartitioning: inside a stage each task runs its own copy of the plan, so
//!   a round-robin exchange would make every task read the whole input;
//! - file-stream work stealing: a partition that finishes early reads files assigned to its
//!   siblings, which only works while all partitions share one plan instance.
//!
//! Uncorrelated scalar subqueries stay as DataFusion plans them: the scheduler runs them
//! before the stages that read them (`scalar_subqueries.rs`), so a subquery returning
//! several rows fails as it does in DataFusion.
//!
//! The same function configures the scheduler's and the executors' sessions.

use std::collections::HashMap;

use std::sync::Arc;

use datafusion::common::config::{ConfigField, ConfigNonZeroUsize, ConfigOptions};
use datafusion::error::Result;
use datafusion::execution::{FunctionRegistry, SessionState};
use datafusion::logical_expr::ScalarUDF;
use datafusion::prelude::SessionConfig;

use crate::ballista_options::BallistaOptions;

/// A fresh session config with Trebuchet's defaults and the `ballista.*` keys registered.
pub fn default_session_config() -> SessionConfig {
    let mut config = SessionConfig::new()
        .with_target_partitions(16)
        .with_information_schema(true)
        .with_option_extension(BallistaOptions::default());
    let options = config.options_mut();
    options.optimizer.prefer_hash_join = false;
    options.optimizer.enable_dynamic_filter_pushdown = false;
    options.optimizer.enable_topk_dynamic_filter_pushdown = false;
    options.optimizer.enable_join_dynamic_filter_pushdown = false;
    options.optimizer.enable_aggregate_dynamic_filter_pushdown = false;
    options.optimizer.enable_round_robin_repartition = false;
    options.execution.enable_file_stream_work_stealing = false;
    // One partition per file, never fewer: `ScanPartitions` splits only large files.
    options.optimizer.repartition_file_scans = false;
    options.sql_parser.recursion_limit = ConfigNonZeroUsize::try_new(SQL_PARSER_RECURSION_LIMIT)
        .expect("the recursion limit is a non-zero constant");
    config
}

/// How deep the SQL parser nests parentheses, subqueries and function calls before it
/// refuses a statement. Above DataFusion's 50, for the nested subqueries BI tools
/// generate: statements are parsed and planned on the planning runtime's deep stack, and
/// the front end's statement limits still bound the depth of what gets planned.
const SQL_PARSER_RECURSION_LIMIT: usize = 128;

/// The settings a session changed from our defaults: all a task needs to rebuild it.
pub fn changed_settings(config: &SessionConfig) -> HashMap<String, String> {
    let defaults: HashMap<String, Option<String>> = default_session_config()
        .options()
        .entries()
        .into_iter()
        .map(|entry| (entry.key, entry.value))
        .collect();
    config
        .options()
        .entries()
        .into_iter()
        .filter_map(|entry| {
            let value = entry.value?;
            let unchanged = defaults.get(&entry.key) == Some(&Some(value.clone()));
            (!unchanged).then_some((entry.key, value))
        })
        .collect()
}

/// The session keys an operator set for every session of a server
/// (`--session-default KEY=VALUE`), kept in each session's config so that `RESET` returns
/// to them.
#[derive(Debug, Clone, Default)]
pub struct ServerSessionDefaults(Vec<(String, String)>);

impl ServerSessionDefaults {
    /// `settings` applied to `state`, as `SET` would, and kept for `RESET`; the first key
    /// DataFusion refuses is an error naming it. Applying the same settings again changes
    /// nothing.
    pub fn apply(settings: Vec<(String, String)>, state: &mut SessionState) -> Result<()> {
        for (key, value) in &settings {
            state
                .config_mut()
                .options_mut()
                .set(key, value)
                .map_err(|err| err.context(format!("{key}={value}")))?;
        }
        rebuild_configured_functions(state)?;
        state.config_mut().set_extension(Arc::new(Self(settings)));
        Ok(())
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    }
}

/// `RESET key`: back to the server's default (`ServerSessionDefaults`), else *our* default,
/// which DataFusion's own reset does not know (it would restore the core count for
/// `target_partitions` and refuse `ballista.*`). Functions that depend on the setting are
/// rebuilt, as DataFusion does on `SET`.
pub fn reset_session_option(state: &mut SessionState, key: &str) -> Result<()> {
    let server_default = state
        .config()
        .get_extension::<ServerSessionDefaults>()
        .and_then(|defaults| defaults.get(key).map(str::to_string));
    let default = server_default.or_else(|| {
        default_session_config()
            .options()
            .entries()
            .into_iter()
            .find(|entry| entry.key == key)
            .and_then(|entry| entry.value)
    });
    let options = state.config_mut().options_mut();
    match default {
        Some(value) => options.set(key, &value)?,
        None => options.reset(key)?,
    }
    rebuild_configured_functions(state)
}

fn rebuild_configured_functions(state: &mut SessionState) -> Result<()> {
    let mut functions = state.scalar_functions().clone();
    for function in configure_functions(&mut functions, state.config().options()) {
        state.register_udf(function)?;
    }
    Ok(())
}

/// Rebuilds, in `functions`, the scalar functions whose behaviour depends on `options`
/// (`now()` and `to_timestamp` carry the session's time zone in their return type), and
/// returns the rebuilt ones. A task's session is rebuilt from settings on its executor, so
/// it must do this just as `SET` does on the scheduler, or the plan's types disagree.
pub(crate) fn configure_functions(
    functions: &mut HashMap<String, Arc<ScalarUDF>>,
    options: &ConfigOptions,
) -> Vec<Arc<ScalarUDF>> {
    let mut rebuilt = Vec::new();
    for function in functions.values_mut() {
        if let Some(updated) = function.inner().with_updated_config(options) {
            *function = Arc::new(updated);
            rebuilt.push(Arc::clone(function));
        }
    }
    rebuilt
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(config: &SessionConfig, key: &str) -> Option<String> {
        config
            .options()
            .entries()
            .into_iter()
            .find(|entry| entry.key == key)
            .and_then(|entry| entry.value)
    }

    #[test]
    fn sessions_default_to_sixteen_partitions_and_sort_merge_join() {
        let config = default_session_config();
        assert_eq!(config.target_partitions(), 16);
        assert_eq!(
            value(&config, "datafusion.optimizer.prefer_hash_join").as_deref(),
            Some("false")
        );
        assert_eq!(
            value(&config, "ballista.shuffle.sort_based.enabled").as_deref(),
            Some("true")
        );
    }

    #[test]
    fn the_parser_recursion_limit_is_ours() {
        assert_eq!(
            value(
                &default_session_config(),
                "datafusion.sql_parser.recursion_limit"
            )
            .as_deref(),
            Some("128")
        );
    }

    fn state_with(settings: &[(&str, &str)]) -> SessionState {
        let mut config = default_session_config();
        for (key, value) in settings {
            config.options_mut().set(key, value).unwrap();
        }
        datafusion::execution::SessionStateBuilder::new()
            .with_config(config)
            .with_default_features()
            .build()
    }

    #[test]
    fn reset_restores_our_defaults_for_both_namespaces() {
        let mut state = state_with(&[
            ("datafusion.execution.target_partitions", "3"),
            ("ballista.shuffle.sort_based.batch_size", "7"),
        ]);

        reset_session_option(&mut state, "datafusion.execution.target_partitions").unwrap();
        reset_session_option(&mut state, "ballista.shuffle.sort_based.batch_size").unwrap();

        assert_eq!(state.config().target_partitions(), 16);
        assert_eq!(
            value(state.config(), "ballista.shuffle.sort_based.batch_size").as_deref(),
            Some("8192")
        );
    }

    #[tokio::test]
    async fn reset_of_the_time_zone_reaches_the_functions_that_carry_it() {
        let state = state_with(&[]);
        let ctx = datafusion::prelude::SessionContext::new_with_state(state);
        ctx.sql("SET datafusion.execution.time_zone = '+05:00'")
            .await
            .unwrap();
        let zoned = ctx.sql("SELECT to_timestamp(1) AS t").await.unwrap();
        assert!(
            zoned
                .schema()
                .field(0)
                .data_type()
                .to_string()
                .contains("+05:00")
        );

        reset_session_option(
            &mut ctx.state_ref().write(),
            "datafusion.execution.time_zone",
        )
        .unwrap();

        let naive = ctx.sql("SELECT to_timestamp(1) AS t").await.unwrap();
        assert_eq!(
            naive.schema().field(0).data_type(),
            &arrow::datatypes::DataType::Timestamp(arrow::datatypes::TimeUnit::Nanosecond, None)
        );
    }

    #[test]
    fn reset_of_an_unknown_key_is_an_error() {
        let mut state = state_with(&[]);
        assert!(reset_session_option(&mut state, "datafusion.nope").is_err());
    }
}
