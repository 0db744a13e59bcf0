//! Fetching one shuffle partition file from the executor that holds it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{LazyLock, Mutex};

use arrow::array::RecordBatch;
use arrow_flight::Ticket;
use arrow_flight::decode::FlightRecordBatchStream;
use arrow_flight::flight_service_client::FlightServiceClient;
use datafusion::error::Result;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt, TryStreamExt};
use prost::Message;
use tonic::transport::{Channel, Endpoint};

use super::{FetchGrant, FetchPartitionTicket, LivePartition};
use crate::error::ShuffleError;
use crate::ids::{ExecutorId, JobId, PartitionId, StageId};
use crate::in_process::service_in_this_process;
use crate::layout::ShuffleLayout;

/// Largest message accepted from another executor; batches are far smaller, but a wide
/// row group must never fail a query on a default gRPC limit.
const MAX_MESSAGE_BYTES: usize = 256 << 20;

/// How long connecting to a peer may take before the fetch fails (and is retried).
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The HTTP/2 connection window: the largest HTTP/2 allows, so connection-level flow
/// control never binds. Many fetches share one connection, and a reader leaves some
/// streams unread for a while (files opened ahead, the idle side of a merge join). Data
/// waiting in those streams holds connection window; under the default 5 MiB, a few of
/// them starve the stream being read, and the query hangs. Memory stays bounded by the
/// per-stream window of each open stream.
const CONNECTION_WINDOW_BYTES: u32 = (1 << 31) - 1;

/// The largest HTTP/2 frame a peer may send us. The default 16 KiB cuts a 1 MiB batch
/// into 64 frames, and a reader keeping up with its writer wakes once per frame.
const MAX_FRAME_BYTES: u32 = 1 << 20;

/// One HTTP/2 connection per executor, shared by every fetch of this process: a stage
/// reads many small files from each peer, and a handshake per file would dominate.
/// Channels reconnect by themselves when a peer restarts.
fn channel_to(url: &str) -> Result<Channel, tonic::transport::Error> {
    static CHANNELS: LazyLock<Mutex<HashMap<String, Channel>>> = LazyLock::new(Default::default);
    let mut channels = CHANNELS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(channel) = channels.get(url) {
        return Ok(channel.clone());
    }
    let mut endpoint = Endpoint::from_shared(url.to_string())?;
    // Only `https://` peers use it: executors advertise that scheme when TLS is on.
    if let Some(tls) = super::cluster_tls::installed_client_tls() {
        endpoint = endpoint.tls_config(tls.clone())?;
    }
    let channel = endpoint
        .connect_timeout(CONNECT_TIMEOUT)
        .initial_connection_window_size(CONNECTION_WINDOW_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .tcp_nodelay(true)
        .connect_lazy();
    channels.insert(url.to_string(), channel.clone());
    Ok(channel)
}

/// Streams the partition at `path` (entry `index_entry` of it, for an indexed data file)
/// from `executor`, listening at `url`, presenting `grant` (for the file's job).
pub async fn fetch_partition(
    executor: &ExecutorId,
    url: &str,
    path: &Path,
    index_entry: Option<u32>,
    grant: &FetchGrant,
) -> Result<impl Stream<Item = Result<RecordBatch>> + Send + 'static> {
    let ticket = FetchPartitionTicket {
        path: path.to_string_lossy().into_owned(),
        index_entry,
        live: None,
    };
    do_get(executor, url, path, ticket, grant).await
}

/// Streams partition `partition` of stage `stage` as attempt `attempt` of its task writes
/// it on `executor` (listening at `url`): batches arrive as they are written, and the
/// stream ends when the task has finished the partition. Only for stages that pass their
/// input partitions through, as the final stage does. `grant` must be for `job`.
pub async fn follow_partition(
    executor: &ExecutorId,
    url: &str,
    job: &JobId,
    stage: StageId,
    partition: PartitionId,
    attempt: u32,
    grant: &FetchGrant,
) -> Result<BoxStream<'static, Result<RecordBatch>>> {
    let ticket = FetchPartitionTicket {
        path: String::new(),
        index_entry: None,
        live: Some(LivePartition {
            job: job.to_string(),
            stage: stage.0,
            partition: partition.0,
            attempt,
        }),
    };
    let named = ShuffleLayout::new("").partition_file(job, stage, partition, attempt, partition);
    if let Some(service) = service_in_this_process(executor) {
        let batches = service
            .open_in_process(job, ticket)
            .await
            .map_err(|status| ShuffleError::FetchPartition {
                executor: executor.clone(),
                path: named,
                reason: status.message().to_string(),
            })?;
        return Ok(batches.map_err(Into::into).boxed());
    }
    Ok(do_get(executor, url, &named, ticket, grant).await?.boxed())
}

/// Sends `ticket` to `executor` with `grant`; failures name the executor and the
/// partition's `path`.
async fn do_get(
    executor: &ExecutorId,
    url: &str,
    path: &Path,
    ticket: FetchPartitionTicket,
    grant: &FetchGrant,
) -> Result<impl Stream<Item = Result<RecordBatch>> + Send + 'static + use<>> {
    let failed = |reason: String| ShuffleError::FetchPartition {
        executor: executor.clone(),
        path: path.to_path_buf(),
        reason,
    };
    let channel = channel_to(url).map_err(|err| failed(format!("invalid address {url}: {err}")))?;
    let mut client = FlightServiceClient::new(channel)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let request = || {
        let mut request = tonic::Request::new(Ticket::new(ticket.encode_to_vec()));
        grant.attach(&mut request);
        request
    };
    let mut response = client.do_get(request()).await;
    // A shared channel whose connection dropped (a peer restarted, a port reused) fails
    // the call that finds it so with UNAVAILABLE and reconnects for the next: one more try.
    if matches!(&response, Err(status) if status.code() == tonic::Code::Unavailable) {
        response = client.do_get(request()).await;
    }
    let response = response.map_err(|status| failed(status.message().to_string()))?;
    let executor = executor.clone();
    let path = path.to_path_buf();
    let batches =
        FlightRecordBatchStream::new_from_flight_data(response.into_inner().map_err(Into::into))
            .map_err(move |err| {
                ShuffleError::FetchPartition {
                    executor: executor.clone(),
                    path: path.clone(),
                    reason: err.to_string(),
                }
                .into()
            });
    Ok(batches)
}
