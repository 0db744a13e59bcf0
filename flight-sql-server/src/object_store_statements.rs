//! Statements naming an object store (`CREATE EXTERNAL TABLE … LOCATION 's3://…'`,
//! `COPY … TO 's3://…'`): just before one runs, its store is set up from its options
//! ([`ConfiguredStores`]), and the store's options are taken out of the plan, so that no
//! plan, `EXPLAIN` or stored table definition holds a secret.
//!
//! The store options (`aws.*`, `gcp.*`, `azure.*`, `http.*`) never reach DataFusion, which
//! would refuse them as unknown format options.

use std::collections::HashMap;

use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::datasource::listing::ListingTableUrl;
use datafusion::logical_expr::{DdlStatement, LogicalPlan};
use datafusion::prelude::SessionContext;
use trebuchet_cluster::{Configured, ConfiguredStores, ObjectStoreOptions, store_namespace};

use crate::error::{FlightSqlError, Result};
use crate::file_access::{FileAccess, FileAction};
use crate::secret_redaction::redact_sql;

/// Whether [`prepare_object_stores`] sets the stores up or only strips their options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoreSetup {
    /// The statement runs now: set up its stores.
    Configure,
    /// The statement is only planned or explained: leave the stores as they are.
    StripOnly,
}

/// `plan` with the store options taken out of its `CREATE EXTERNAL TABLE` and `COPY` nodes
/// and their SQL text's secrets masked, after setting up their stores for `user` if `setup`
/// says so. Call it after the file policy passed: it judged the options this takes out.
pub(crate) fn prepare_object_stores(
    plan: LogicalPlan,
    ctx: &SessionContext,
    user: Option<&str>,
    setup: StoreSetup,
) -> Result<LogicalPlan> {
    let transformed = plan.transform_down(|node| match node {
        LogicalPlan::Ddl(DdlStatement::CreateExternalTable(mut create)) => {
            let mut stores = Vec::new();
            for location in &create.locations {
                stores.extend(store_of(location, &create.options)?);
            }
            if setup == StoreSetup::Configure {
                for (location, store) in stores {
                    configure(ctx, user, &location, FileAction::Read, store)?;
                }
            }
            create.options.retain(|key, _| !is_store_option(key));
            create.definition = create
                .definition
                .map(|definition| redact_sql(&definition).into_owned());
            Ok(Transformed::new(
                LogicalPlan::Ddl(DdlStatement::CreateExternalTable(create)),
                true,
                TreeNodeRecursion::Jump,
            ))
        }
        LogicalPlan::Copy(mut copy) => {
            let store = store_of(&copy.output_url, &copy.options)?;
            if let (Some((location, store)), StoreSetup::Configure) = (store, setup) {
                configure(ctx, user, &location, FileAction::Write, store)?;
            }
            copy.options.retain(|key, _| !is_store_option(key));
            Ok(Transformed::new(
                LogicalPlan::Copy(copy),
                true,
                TreeNodeRecursion::Jump,
            ))
        }
        // Only EXPLAIN and ANALYZE wrap a statement; a query's inputs never hold one, so
        // the walk stays shallow however deep the query is.
        wrapper @ (LogicalPlan::Explain(_) | LogicalPlan::Analyze(_)) => {
            Ok(Transformed::no(wrapper))
        }
        other => Ok(Transformed::new(other, false, TreeNodeRecursion::Jump)),
    });
    Ok(transformed.map_err(unwrap_ours)?.data)
}

/// The store `location` names with the store options among `options`, or `None` for a
/// local path; an error for store options that do not fit the location.
fn store_of(
    location: &str,
    options: &HashMap<String, String>,
) -> datafusion::error::Result<Option<(String, ObjectStoreOptions)>> {
    let url = ListingTableUrl::parse(location)?;
    let namespace = store_namespace(url.scheme());
    if let Some(key) = options
        .keys()
        .filter(|key| is_store_option(key))
        .find(|key| Some(namespace_of(key)) != namespace)
    {
        let fits = match namespace {
            Some(namespace) => format!("{}:// locations take {namespace}.* options", url.scheme()),
            None => "only object store locations take them".into(),
        };
        return Err(ours(FlightSqlError::InvalidRequest {
            reason: format!("option {key} does not apply to {location}: {fits}"),
        }));
    }
    Ok(namespace.map(|_| {
        (
            location.to_string(),
            ObjectStoreOptions::for_store(&url.object_store(), options),
        )
    }))
}

/// Sets up `store` for `location`, refusing to change a bucket's options for a non-admin.
fn configure(
    ctx: &SessionContext,
    user: Option<&str>,
    location: &str,
    action: FileAction,
    store: ObjectStoreOptions,
) -> datafusion::error::Result<()> {
    let configured = ConfiguredStores::of(ctx.state_ref().read().config()).ok_or_else(|| {
        datafusion::error::DataFusionError::Internal("this session keeps no object stores".into())
    })?;
    let may_replace = FileAccess::of(ctx).is_admin(user);
    let url = store.url.clone();
    match configured.configure(&ctx.runtime_env(), store, may_replace)? {
        Configured::Built | Configured::Kept => Ok(()),
        Configured::Conflict => Err(ours(FlightSqlError::PathNotAllowed {
            path: location.to_string(),
            action,
            reason: format!(
                "the object store {url} is already set up with other options (credentials or \
                 endpoint), which the tables on it use; only an admin may change them"
            ),
        })),
    }
}

/// Whether `key` is an object store's option (`aws.region`) rather than a format's.
fn is_store_option(key: &str) -> bool {
    let namespace = namespace_of(key);
    ["s3", "gs", "az", "http"]
        .iter()
        .any(|scheme| store_namespace(scheme) == Some(namespace))
}

fn namespace_of(key: &str) -> &str {
    key.split_once('.').map_or("", |(namespace, _)| namespace)
}

fn ours(err: FlightSqlError) -> datafusion::error::DataFusionError {
    datafusion::error::DataFusionError::External(Box::new(err))
}

/// Our own error back out of the DataFusion error it travelled in.
fn unwrap_ours(err: datafusion::error::DataFusionError) -> FlightSqlError {
    match err {
        datafusion::error::DataFusionError::External(inner) => {
            match inner.downcast::<FlightSqlError>() {
                Ok(ours) => *ours,
                Err(other) => datafusion::error::DataFusionError::External(other).into(),
            }
        }
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::SharedCatalog;

    async fn plan(ctx: &SessionContext, sql: &str) -> LogicalPlan {
        ctx.state().create_logical_plan(sql).await.unwrap()
    }

    const CREATE: &str = "CREATE EXTERNAL TABLE t STORED AS PARQUET LOCATION 's3://bucket/t/' \
        OPTIONS ('aws.access_key_id' 'AKID', 'aws.secret_access_key' 'very-secret', \
        'aws.region' 'us-east-1', 'aws.endpoint' 'http://127.0.0.1:9', 'aws.allow_http' 'true')";

    #[tokio::test]
    async fn store_options_leave_the_plan_and_set_up_the_store() {
        let ctx = SharedCatalog::new().new_session_context();
        let prepared =
            prepare_object_stores(plan(&ctx, CREATE).await, &ctx, None, StoreSetup::Configure)
                .unwrap();
        let LogicalPlan::Ddl(DdlStatement::CreateExternalTable(create)) = &prepared else {
            panic!("{prepared}");
        };
        assert!(create.options.is_empty(), "{:?}", create.options);
        let definition = create.definition.clone().unwrap();
        assert!(!definition.contains("very-secret"), "{definition}");
        assert!(definition.contains("s3://bucket/t/"), "{definition}");
        let stores = ConfiguredStores::of(ctx.state_ref().read().config()).unwrap();
        let options = stores.options_for("s3://bucket").unwrap();
        assert_eq!(options.options["aws.secret_access_key"], "very-secret");
        let bucket = datafusion::execution::object_store::ObjectStoreUrl::parse("s3://bucket");
        assert!(ctx.runtime_env().object_store(bucket.unwrap()).is_ok());
    }

    #[tokio::test]
    async fn another_users_options_for_a_configured_bucket_are_refused() {
        let catalog = SharedCatalog::new();
        let ctx = catalog.new_session_context();
        prepare_object_stores(plan(&ctx, CREATE).await, &ctx, None, StoreSetup::Configure).unwrap();
        let other = CREATE.replace("very-secret", "another-secret");
        let err = prepare_object_stores(
            plan(&ctx, &other).await,
            &catalog.new_session_context(),
            None,
            StoreSetup::Configure,
        )
        .unwrap_err();
        assert!(
            matches!(&err, FlightSqlError::PathNotAllowed { reason, .. } if reason.contains("only an admin")),
            "{err}"
        );
    }

    #[tokio::test]
    async fn explained_copies_lose_their_store_options_without_setting_anything_up() {
        let ctx = SharedCatalog::new().new_session_context();
        let sql = "EXPLAIN COPY (SELECT 1 AS x) TO 's3://bucket/out/' STORED AS PARQUET \
                   OPTIONS ('aws.secret_access_key' 'very-secret', 'format.compression' 'zstd(1)')";
        let prepared =
            prepare_object_stores(plan(&ctx, sql).await, &ctx, None, StoreSetup::StripOnly)
                .unwrap();
        let shown = prepared.display_indent().to_string();
        assert!(!shown.contains("very-secret"), "{shown}");
        assert!(shown.contains("zstd(1)"), "{shown}");
        let stores = ConfiguredStores::of(ctx.state_ref().read().config()).unwrap();
        assert!(stores.options_for("s3://bucket").is_none());
    }

    #[tokio::test]
    async fn store_options_must_fit_the_location() {
        let ctx = SharedCatalog::new().new_session_context();
        for sql in [
            "CREATE EXTERNAL TABLE t STORED AS CSV LOCATION '/tmp/x.csv' OPTIONS ('aws.region' 'x')",
            "CREATE EXTERNAL TABLE t STORED AS CSV LOCATION 's3://b/x.csv' OPTIONS ('gcp.bucket' 'x')",
        ] {
            let err =
                prepare_object_stores(plan(&ctx, sql).await, &ctx, None, StoreSetup::StripOnly)
                    .unwrap_err()
                    .to_string();
            assert!(err.contains("does not apply"), "{err}");
        }
    }
}
