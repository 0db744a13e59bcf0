//! A finished query's result partitions, each described by an opaque token the client
//! carries in its ticket (where the files are, their schema), and the registry that
//! releases a job's files once every partition has been read, the query is cancelled, or
//! nobody came for them within [`RESULT_TTL`].

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use arrow::datatypes::Schema;
use arrow::ipc::convert::try_schema_from_ipc_buffer;
use bytes::Bytes;
use datafusion::error::{DataFusionError, Result};
use prost::Message;
use trebuchet_shuffle::ids::{ExecutorId, JobId, StageId};
use trebuchet_shuffle::{PartitionLocation, RemoteExecutor};

use crate::codec::schema_bytes;
use crate::sync::lock;

/// How long a finished query's unread results are kept.
pub(crate) const RESULT_TTL: Duration = Duration::from_secs(600);

/// One result partition: the token inside a `DoGet` ticket.
#[derive(Clone, PartialEq, Message)]
pub(crate) struct ResultPartition {
    #[prost(string, tag = "1")]
    pub(crate) job: String,
    #[prost(uint32, tag = "2")]
    pub(crate) stage: u32,
    #[prost(uint32, tag = "3")]
    pub(crate) partition: u32,
    /// Arrow IPC schema message of the rows.
    #[prost(bytes = "vec", tag = "4")]
    pub(crate) schema: Vec<u8>,
    #[prost(message, repeated, tag = "5")]
    pub(crate) files: Vec<ResultFile>,
}

#[derive(Clone, PartialEq, Message)]
pub(crate) struct ResultFile {
    #[prost(string, tag = "1")]
    pub(crate) path: String,
    #[prost(uint64, tag = "2")]
    pub(crate) num_rows: u64,
    #[prost(uint64, tag = "3")]
    pub(crate) num_bytes: u64,
    #[prost(string, tag = "4")]
    pub(crate) executor_id: String,
    #[prost(string, tag = "5")]
    pub(crate) executor_url: String,
    #[prost(uint32, optional, tag = "6")]
    pub(crate) index_entry: Option<u32>,
}

impl ResultPartition {
    pub(crate) fn new(
        job: &JobId,
        stage: StageId,
        partition: u32,
        schema: &Schema,
        files: &[PartitionLocation],
    ) -> Result<Self> {
        let files = files
            .iter()
            .map(|file| {
                let remote = file.remote.as_ref().ok_or_else(|| {
                    DataFusionError::Internal("a result file without its executor".into())
                })?;
                Ok(ResultFile {
                    path: file.path.to_string_lossy().into_owned(),
                    num_rows: file.num_rows,
                    num_bytes: file.num_bytes,
                    index_entry: file.index_entry,
                    executor_id: remote.id.to_string(),
                    executor_url: remote.url.clone(),
                })
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            job: job.to_string(),
            stage: stage.0,
            partition,
            schema: schema_bytes(schema)?,
            files,
        })
    }

    pub(crate) fn decode_token(token: &[u8]) -> Result<Self> {
        Self::decode(token).map_err(|err| {
            DataFusionError::Plan(format!("the ticket names no valid result partition: {err}"))
        })
    }

    pub(crate) fn schema(&self) -> Result<Schema> {
        Ok(try_schema_from_ipc_buffer(&self.schema)?)
    }

    pub(crate) fn locations(&self) -> Vec<PartitionLocation> {
        self.files
            .iter()
            .map(|file| PartitionLocation {
                path: file.path.clone().into(),
                num_rows: file.num_rows,
                num_bytes: file.num_bytes,
                index_entry: file.index_entry,
                remote: Some(RemoteExecutor {
                    id: ExecutorId::new(file.executor_id.clone()),
                    url: file.executor_url.clone(),
                }),
            })
            .collect()
    }

    pub(crate) fn token(&self) -> Bytes {
        self.encode_to_vec().into()
    }
}

/// Finished jobs whose results are still (partly) unread.
#[derive(Debug, Default)]
pub(crate) struct PendingResults {
    jobs: Mutex<HashMap<JobId, Pending>>,
}

#[derive(Debug)]
struct Pending {
    /// The partitions as the scheduler made them: a ticket only names one, so a forged
    /// ticket can never point the scheduler at an address of the client's choosing.
    partitions: Vec<ResultPartition>,
    unread: BTreeSet<u32>,
    since: Instant,
}

impl PendingResults {
    /// Remembers a finished job; returns the jobs whose results expired meanwhile.
    pub(crate) fn add(
        &self,
        job: JobId,
        partitions: Vec<ResultPartition>,
        now: Instant,
    ) -> Vec<JobId> {
        let mut jobs = lock(&self.jobs);
        let expired: Vec<JobId> = jobs
            .iter()
            .filter(|(_, pending)| now.duration_since(pending.since) > RESULT_TTL)
            .map(|(job, _)| job.clone())
            .collect();
        for job in &expired {
            jobs.remove(job);
        }
        let unread = (0..u32::try_from(partitions.len()).unwrap_or(u32::MAX)).collect();
        jobs.insert(
            job,
            Pending {
                partitions,
                unread,
                since: now,
            },
        );
        expired
    }

    /// The partition a ticket names, as the scheduler recorded it, if still readable.
    pub(crate) fn get(&self, job: &JobId, partition: u32) -> Option<ResultPartition> {
        lock(&self.jobs)
            .get(job)?
            .partitions
            .get(partition as usize)
            .cloned()
    }

    /// Marks a partition read; `true` when it was the last one (the job can go).
    pub(crate) fn mark_read(&self, job: &JobId, partition: u32) -> bool {
        let mut jobs = lock(&self.jobs);
        let Some(pending) = jobs.get_mut(job) else {
            return false;
        };
        pending.unread.remove(&partition);
        if pending.unread.is_empty() {
            jobs.remove(job);
            return true;
        }
        false
    }

    /// Forgets `job`; `true` if it was pending.
    pub(crate) fn remove(&self, job: &JobId) -> bool {
        lock(&self.jobs).remove(job).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partition(index: u32) -> ResultPartition {
        ResultPartition {
            partition: index,
            ..ResultPartition::default()
        }
    }

    #[test]
    fn a_job_is_released_when_its_last_partition_is_read() {
        let pending = PendingResults::default();
        let job = JobId::new("j");
        pending.add(
            job.clone(),
            vec![partition(0), partition(1)],
            Instant::now(),
        );
        assert!(!pending.mark_read(&job, 0));
        assert!(!pending.mark_read(&job, 0), "reading again is harmless");
        assert!(pending.get(&job, 1).is_some());
        assert!(pending.mark_read(&job, 1));
        assert!(pending.get(&job, 1).is_none());
    }

    #[test]
    fn unread_results_expire() {
        let pending = PendingResults::default();
        let start = Instant::now();
        pending.add(JobId::new("old"), vec![partition(0)], start);
        let expired = pending.add(
            JobId::new("new"),
            vec![partition(0)],
            start + RESULT_TTL * 2,
        );
        assert_eq!(expired, vec![JobId::new("old")]);
    }
}
