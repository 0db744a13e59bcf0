//! [`stores_read_by`]: the object stores a job's executors must reach, with the options the
//! server configured them with, to be shipped with each of its tasks.

use std::collections::BTreeSet;
use std::sync::Arc;

use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::Result;
use datafusion::physical_plan::ExecutionPlan;

use super::configured_stores::ConfiguredStores;
use super::store_options::{ObjectStoreOptions, store_namespace};

/// The object stores (not local files) `plan` scans, each with the options `configured`
/// holds for it; one the server did not configure goes with no options, for the executor
/// to build from its own environment.
pub(crate) fn stores_read_by(
    plan: &Arc<dyn ExecutionPlan>,
    configured: Option<&ConfiguredStores>,
) -> Result<Vec<ObjectStoreOptions>> {
    let mut urls = BTreeSet::new();
    plan.apply(|node| {
        if let Some(scan) = node
            .downcast_ref::<DataSourceExec>()
            .and_then(|exec| exec.data_source().downcast_ref::<FileScanConfig>())
        {
            let url = scan.object_store_url.as_str().trim_end_matches('/');
            let scheme = url.split_once("://").map_or("", |(scheme, _)| scheme);
            if store_namespace(scheme).is_some() {
                urls.insert(url.to_string());
            }
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    Ok(urls
        .into_iter()
        .map(|url| {
            configured
                .and_then(|stores| stores.options_for(&url))
                .unwrap_or(ObjectStoreOptions {
                    url,
                    options: Default::default(),
                })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use datafusion::execution::object_store::ObjectStoreUrl;
    use datafusion::prelude::SessionContext;
    use object_store::memory::InMemory;

    use super::*;

    #[tokio::test]
    async fn scans_of_a_store_ship_its_configured_options() {
        let ctx = SessionContext::new();
        let bucket = ObjectStoreUrl::parse("s3://bucket").unwrap();
        ctx.register_object_store(bucket.as_ref(), Arc::new(InMemory::new()));
        for sql in [
            "COPY (SELECT 1 AS x) TO 's3://bucket/t/' STORED AS PARQUET",
            "CREATE EXTERNAL TABLE t STORED AS PARQUET LOCATION 's3://bucket/t/'",
        ] {
            ctx.sql(sql).await.unwrap().collect().await.unwrap();
        }
        let plan = ctx
            .sql("SELECT x FROM t UNION ALL SELECT 2")
            .await
            .unwrap()
            .create_physical_plan()
            .await
            .unwrap();

        let configured = ConfiguredStores::default();
        let unconfigured = stores_read_by(&plan, Some(&configured)).unwrap();
        assert_eq!(unconfigured.len(), 1);
        assert_eq!(unconfigured[0].url, "s3://bucket");
        assert!(unconfigured[0].options.is_empty());

        let options = ObjectStoreOptions {
            url: "s3://bucket".into(),
            options: [("aws.region".to_string(), "eu-west-1".to_string())].into(),
        };
        let runtime = datafusion::execution::runtime_env::RuntimeEnv::default();
        configured
            .configure(&runtime, options.clone(), false)
            .unwrap();
        assert_eq!(
            stores_read_by(&plan, Some(&configured)).unwrap(),
            vec![options]
        );

        let local = ctx
            .sql("SELECT 1")
            .await
            .unwrap()
            .create_physical_plan()
            .await
            .unwrap();
        assert!(stores_read_by(&local, None).unwrap().is_empty());
    }
}
