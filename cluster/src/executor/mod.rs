//! An executor: registers with the scheduler, heartbeats, pulls tasks and runs them on a
//! runtime of its own, and serves the shuffle files they write over Arrow Flight to
//! holders of a grant signed with the cluster secret.
//!
//! ```text
//!   scheduler ◀── register / heartbeat / poll / report ── executor ── tasks ─▶ task runtime
//!   other executors, scheduler ── Flight DoGet ─▶ executor's shuffle files (work dir)
//! ```
//!
//! Tasks run on a dedicated multi-threaded runtime so that a CPU-bound task never delays
//! the heartbeats, polls and file serving of the control runtime.
//!
//! The Flight port also answers plain HTTP: `/healthz`, `/readyz` (ready once
//! registered) and `/api/metrics` (Prometheus text; unauthenticated like the probes, the
//! port being cluster-internal). [`RunningExecutor::drain`] leaves the cluster without losing work: no new
//! tasks, running ones finish, shuffle output is served until the scheduler releases it. Each task's memory is
//! bounded by its share of `--memory-pool-size`, if set ([`task_memory`]); spill files go
//! under `<work_dir>/spill`.

mod cooperative_plan;
mod running_jobs;
mod slot_usage;
mod spill_metrics;
mod task_memory;
mod task_runner;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use arrow_flight::flight_service_server::FlightServiceServer;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Endpoint, Server};
use trebuchet_shuffle::ids::{ExecutorId, JobId};
use trebuchet_shuffle::{
    ClusterSecret, ClusterTls, InProcessExecutor, KnownJobs, ShuffleFlightService, ShuffleLayout,
    ShuffleMemory, install_cluster_tls,
};

use crate::error::{ClusterError, Result};
use crate::http::{GrpcOrHttpLayer, Readiness, health_routes};
use crate::metrics::{ExecutorMetrics, ServedBytesLayer, executor_metrics_routes};
use crate::protocol::{
    DeregisterExecutorRequest, ExecutorMetadata, HeartbeatRequest, MAX_MESSAGE_BYTES,
    PollWorkRequest, PresentClusterToken, RegisterExecutorRequest, ReportTaskRequest,
    SchedulerClient, TaskDefinition,
};
use crate::scheduler_policy::SchedulerPolicy;
use running_jobs::RunningJobs;
use slot_usage::SlotUsage;
use spill_metrics::SpillTotals;
use task_memory::TaskMemory;
pub(crate) use task_runner::TaskEnvironment;

/// Pause after a failed call to the scheduler before trying again.
const RETRY_PAUSE: Duration = Duration::from_millis(500);
/// Tries to deliver a task's outcome (about a minute with backoff).
const REPORT_ATTEMPTS: u32 = 15;
/// How often a draining executor asks whether the scheduler still needs it.
const DRAIN_CHECK_INTERVAL: Duration = Duration::from_millis(200);
/// Longest a leaving executor waits for the scheduler to take note.
const DEREGISTER_TIMEOUT: Duration = Duration::from_secs(5);
/// Why an executor is not ready before it has registered.
const NOT_REGISTERED: &str = "not registered with the scheduler yet";

/// How an executor is started.
#[derive(Debug, Clone)]
pub struct ExecutorConfig {
    /// The scheduler's cluster endpoint, e.g. `http://127.0.0.1:50050`.
    pub scheduler_url: String,
    /// Where the Flight service for shuffle files listens (port 0: any free port).
    pub bind: SocketAddr,
    /// The host others use to reach this executor; the bind address when absent.
    pub external_host: Option<String>,
    /// Where shuffle files are written.
    pub work_dir: PathBuf,
    /// Tasks run at once.
    pub concurrent_tasks: usize,
    /// Bytes of memory the executor's tasks may use, split equally over the task slots:
    /// each task gets a pool of `memory_pool_size / concurrent_tasks` bytes of its own and
    /// spillable operators spill to disk beyond it. `None`: no pool, memory is unbounded.
    pub memory_pool_size: Option<u64>,
    pub heartbeat_interval: Duration,
    /// The scheduler's cluster secret: presented to the scheduler, and what the grants
    /// for shuffle data between executors are signed with.
    pub cluster_token: ClusterSecret,
    /// Job directories untouched for this long are deleted even if the scheduler never
    /// said the job ended (it crashed, or the message was lost).
    pub shuffle_ttl: Duration,
    /// How tasks reach this executor; must be the scheduler's.
    pub scheduler_policy: SchedulerPolicy,
    /// Mutual TLS with the rest of the cluster: the Flight port then speaks only TLS and
    /// wants a client certificate the cluster CA signed, the executor advertises an
    /// `https://` URL, and its calls to the scheduler (whose URL must then be `https://`)
    /// and to its peers present its own certificate. `None`: plain text.
    pub tls: Option<ClusterTls>,
    /// Longest [`RunningExecutor::drain`] waits for its tasks to finish and its shuffle
    /// output to be released before it leaves anyway.
    pub drain_timeout: Duration,
    /// Memory this executor's sort-based map outputs are kept in instead of files while
    /// they fit, shared with the other executors given the same budget
    /// (`--shuffle-memory-size`). `None`: every output goes to disk.
    pub shuffle_memory: Option<ShuffleMemory>,
}

impl ExecutorConfig {
    /// An executor on loopback with an ephemeral port, for `scheduler_url`. Its cluster
    /// secret is a random one no scheduler knows: set the scheduler's.
    pub fn loopback(scheduler_url: impl Into<String>, work_dir: impl Into<PathBuf>) -> Self {
        Self {
            scheduler_url: scheduler_url.into(),
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            external_host: None,
            work_dir: work_dir.into(),
            concurrent_tasks: default_concurrent_tasks(),
            memory_pool_size: None,
            heartbeat_interval: Duration::from_secs(5),
            shuffle_ttl: Duration::from_secs(3600),
            cluster_token: ClusterSecret::generate(),
            scheduler_policy: SchedulerPolicy::default(),
            tls: None,
            drain_timeout: Duration::from_secs(60),
            shuffle_memory: None,
        }
    }
}

/// Every core the machine offers, the tuning guide's default.
pub fn default_concurrent_tasks() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// A running executor; dropping it (or calling [`RunningExecutor::stop`]) stops it.
#[derive(Debug)]
pub struct RunningExecutor {
    id: ExecutorId,
    layout: ShuffleLayout,
    spill_dir: PathBuf,
    tasks_finished: Arc<AtomicU64>,
    slot_usage: Arc<SlotUsage>,
    spills: Arc<SpillTotals>,
    /// Why the executor gave up, once it has (the scheduler refused it for good).
    failure: watch::Receiver<Option<String>>,
    flight_addr: SocketAddr,
    /// The control side, for draining.
    worker: Worker,
    drain_timeout: Duration,
    /// Stops the heartbeat and poll loops only: a drained executor stops asking for work
    /// before it deregisters, while its Flight port still serves.
    control: CancellationToken,
    stop: CancellationToken,
    tasks: Option<tokio::runtime::Runtime>,
    /// Lets tasks of other executors in this process read its files from disk, until it
    /// stops.
    in_process: Option<InProcessExecutor>,
    /// Flight service, heartbeat, poll and sweep loops; aborted when the executor goes.
    _loops: JoinSet<()>,
}

impl RunningExecutor {
    pub fn id(&self) -> &ExecutorId {
        &self.id
    }

    /// Tasks it has run to the end (succeeded or failed), since it started.
    pub fn tasks_finished(&self) -> u64 {
        self.tasks_finished.load(Ordering::Relaxed)
    }

    /// Resolves when the executor cannot go on (the scheduler refused to register it, e.g.
    /// for a different `--scheduler-policy`), with the reason.
    pub async fn failure(&self) -> String {
        let mut failure = self.failure.clone();
        match failure.wait_for(Option::is_some).await {
            Ok(reason) => reason.clone().unwrap_or_default(),
            // The executor is gone without a failure: never resolve.
            Err(_) => std::future::pending().await,
        }
    }

    /// Tasks running now. A task stops counting once its work has stopped: when it ends,
    /// or when its job was cancelled and the abort took effect.
    pub fn running_tasks(&self) -> usize {
        self.slot_usage.busy()
    }

    /// The most tasks it ever ran at once: never more than `--concurrent-tasks`.
    pub fn peak_concurrent_tasks(&self) -> usize {
        self.slot_usage.peak()
    }

    /// Times its tasks spilled to disk, since it started.
    pub fn spill_count(&self) -> u64 {
        self.spills.spill_count()
    }

    /// Bytes its tasks spilled to disk, since it started.
    pub fn spilled_bytes(&self) -> u64 {
        self.spills.spilled_bytes()
    }

    /// Rows its tasks spilled to disk, since it started.
    pub fn spilled_rows(&self) -> u64 {
        self.spills.spilled_rows()
    }

    /// Where its Flight service listens.
    pub fn flight_addr(&self) -> SocketAddr {
        self.flight_addr
    }

    /// Leaves the cluster without losing work: tells the scheduler it is draining (no
    /// new task comes), lets running tasks finish and keeps serving its shuffle output
    /// until the scheduler says no job needs it any more, at most `drain_timeout`; then
    /// stops asking for work and deregisters. `/readyz` answers 503 from the start. Call
    /// [`Self::stop`] afterwards.
    pub async fn drain(&self) {
        let worker = &self.worker;
        let executor = worker.metadata.id.as_str();
        // Ready means registered: an executor the scheduler never knew holds nothing of use.
        let registered = worker.readiness.check().is_ok();
        worker
            .readiness
            .set_leaving("draining: finishing its tasks and serving its shuffle output");
        worker.draining.cancel();
        tracing::info!(
            executor,
            timeout = ?self.drain_timeout,
            "draining: no new tasks; running ones finish and shuffle output is served until released"
        );
        let released = !registered
            || tokio::time::timeout(self.drain_timeout, worker.wait_until_released())
                .await
                .is_ok();
        self.control.cancel();
        if registered {
            worker.deregister().await;
        }
        if released {
            tracing::info!(
                executor,
                "drained: nothing of this executor is needed any more"
            );
        } else {
            tracing::warn!(
                executor,
                timeout = ?self.drain_timeout,
                running_tasks = self.running_tasks(),
                "drain timed out: the scheduler redoes whatever of this executor it still needed"
            );
        }
    }

    /// Stops polling, serving and every running task, and returns once its files are gone.
    pub async fn stop(mut self) {
        if let Some(cleanup) = self.shutdown() {
            let _ = tokio::task::spawn_blocking(move || cleanup.join()).await;
        }
    }

    /// Stops everything; the files go on a thread of its own once every task has stopped
    /// (a task stops at its next yield, so one writing a file finishes that write first:
    /// removing the files before would leave it behind). Waiting for a runtime blocks, which
    /// async code may not do, hence the thread.
    fn shutdown(&mut self) -> Option<std::thread::JoinHandle<()>> {
        self.in_process.take();
        self.stop.cancel();
        let runtime = self.tasks.take()?;
        let layout = self.layout.clone();
        let spill_dir = self.spill_dir.clone();
        Some(std::thread::spawn(move || {
            runtime.shutdown_timeout(TASKS_STOP_TIMEOUT);
            // Nobody can fetch these files any more; results never read go with them.
            layout.remove_all_jobs();
            task_memory::remove_spill_dir(&spill_dir);
        }))
    }
}

/// How long a stopping executor waits for its tasks to reach a yield before it removes
/// their files anyway.
const TASKS_STOP_TIMEOUT: Duration = Duration::from_secs(10);

impl Drop for RunningExecutor {
    fn drop(&mut self) {
        // Dropped without `stop`: the cleanup finishes in the background.
        let _ = self.shutdown();
    }
}

/// Starts an executor on the current runtime: binds its Flight service, then registers
/// with the scheduler in the background (retrying until the scheduler answers).
pub async fn start_executor(config: ExecutorConfig) -> Result<RunningExecutor> {
    let id = ExecutorId::new(new_executor_id());
    if let Some(tls) = &config.tls {
        if !config.scheduler_url.starts_with("https://") {
            return Err(ClusterError::SchedulerUrl {
                url: config.scheduler_url.clone(),
                reason: "with cluster TLS the scheduler URL must be https://".into(),
            });
        }
        // Shuffle fetches share one channel per peer across the process.
        install_cluster_tls(tls);
    }
    if let Some(size) = config.memory_pool_size {
        // Refuse before touching the work dir: a config error leaves no trace.
        task_memory::task_pool_bytes(size, config.concurrent_tasks)?;
    }
    std::fs::create_dir_all(&config.work_dir).map_err(|source| ClusterError::WorkDir {
        path: config.work_dir.clone(),
        source,
    })?;
    let mut layout = ShuffleLayout::new(&config.work_dir);
    if let Some(memory) = &config.shuffle_memory {
        layout = layout.with_memory(memory.clone());
    }
    // Files of an earlier run in this work dir belong to an executor id nobody will ask for.
    layout.remove_all_jobs();
    let spill_dir = task_memory::spill_dir(&config.work_dir);
    // Spill files of an earlier run belong to tasks that are gone.
    task_memory::remove_spill_dir(&spill_dir);
    let memory = TaskMemory::new(config.memory_pool_size, config.concurrent_tasks, &spill_dir)?;
    let worker_layout = layout.clone();
    let listener = TcpListener::bind(config.bind)
        .await
        .map_err(|source| ClusterError::Bind {
            addr: config.bind,
            source,
        })?;
    let flight_addr = listener.local_addr().map_err(|source| ClusterError::Bind {
        addr: config.bind,
        source,
    })?;
    let host = config
        .external_host
        .clone()
        .unwrap_or_else(|| flight_addr.ip().to_string());
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let metadata = ExecutorMetadata {
        id: id.to_string(),
        flight_url: format!("{scheme}://{host}:{}", flight_addr.port()),
        task_slots: u32::try_from(config.concurrent_tasks.max(1)).unwrap_or(u32::MAX),
        task_memory_bytes: memory
            .task_pool_bytes()
            .map_or(0, |bytes| u64::try_from(bytes).unwrap_or(u64::MAX)),
    };
    let stop = CancellationToken::new();
    let control = stop.child_token();
    let running = Arc::new(RunningJobs::default());
    let readiness = Readiness::not_ready(NOT_REGISTERED);

    let known_jobs: Arc<dyn KnownJobs> = Arc::clone(&running) as Arc<dyn KnownJobs>;
    let shuffle_service = ShuffleFlightService::new(layout.clone(), config.cluster_token.clone())
        .with_known_jobs(known_jobs);
    // Tasks and the scheduler in this process read through it directly.
    let in_process = InProcessExecutor::register(id.clone(), shuffle_service.clone());
    let flight = FlightServiceServer::new(shuffle_service)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let serving = stop.clone();
    // Plain HTTP (the health probes) shares the port with Flight.
    let mut server = Server::builder().accept_http1(true);
    if let Some(tls) = &config.tls {
        server = server
            .tls_config(tls.server_config())
            .map_err(ClusterError::FlightTls)?;
    }
    // `/api/metrics` is unauthenticated like the probes: this port is cluster-internal.
    let metrics = Arc::new(ExecutorMetrics::new(config.shuffle_memory.clone()));
    let routes =
        health_routes(readiness.clone()).merge(executor_metrics_routes(Arc::clone(&metrics)));
    let mut server = server
        .layer(GrpcOrHttpLayer::new(routes))
        .layer(ServedBytesLayer::new(metrics.flight_bytes_served()));
    let mut loops = JoinSet::new();
    loops.spawn(async move {
        let served = server
            .add_service(flight)
            .serve_with_incoming_shutdown(incoming, serving.cancelled())
            .await;
        if let Err(err) = served {
            tracing::error!(error = %err, "the executor's Flight service stopped");
        }
    });

    let bad_url = |err: tonic::transport::Error| ClusterError::SchedulerUrl {
        url: config.scheduler_url.clone(),
        reason: err.to_string(),
    };
    let mut endpoint = Endpoint::from_shared(config.scheduler_url.clone()).map_err(bad_url)?;
    if let Some(tls) = &config.tls {
        endpoint = endpoint.tls_config(tls.client_config()).map_err(bad_url)?;
    }
    let channel = endpoint
        .connect_timeout(Duration::from_secs(5))
        .tcp_nodelay(true)
        .connect_lazy();
    let tasks = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.concurrent_tasks.max(1))
        .thread_name("trebuchet-task")
        // Decoding and running a stage plan recurses as deep as the plan.
        .thread_stack_size(crate::planning_runtime::TASK_STACK_BYTES)
        .enable_all()
        .build()
        .map_err(ClusterError::TaskRuntime)?;
    let token = PresentClusterToken::new(&config.cluster_token);
    let task_pool_bytes = memory.task_pool_bytes();
    let (failure_sender, _) = watch::channel(None);
    let worker = Worker {
        metadata,
        scheduler: scheduler_client(channel, token),
        env: TaskEnvironment::new(
            id.clone(),
            layout,
            memory,
            config.cluster_token.clone(),
            metrics,
        ),
        tasks: tasks.handle().clone(),
        slots: Arc::new(Semaphore::new(config.concurrent_tasks.max(1))),
        running,
        tasks_finished: Arc::new(AtomicU64::new(0)),
        slot_usage: Arc::new(SlotUsage::default()),
        policy: config.scheduler_policy,
        failure: Arc::new(failure_sender),
        readiness,
        draining: CancellationToken::new(),
    };
    tracing::info!(executor = %id, flight = %worker.metadata.flight_url, scheduler = config.scheduler_url, slots = config.concurrent_tasks, task_pool_bytes, "executor starting");
    loops.spawn(
        worker
            .clone()
            .heartbeat(config.heartbeat_interval, control.clone()),
    );
    loops.spawn(worker.clone().sweep(config.shuffle_ttl, stop.clone()));
    let tasks_finished = Arc::clone(&worker.tasks_finished);
    let slot_usage = Arc::clone(&worker.slot_usage);
    let failure = worker.failure.subscribe();
    let spills = Arc::clone(&worker.env.spills);
    loops.spawn(worker.clone().poll(control.clone()));
    Ok(RunningExecutor {
        id,
        layout: worker_layout,
        spill_dir,
        tasks_finished,
        slot_usage,
        spills,
        failure,
        flight_addr,
        worker,
        drain_timeout: config.drain_timeout,
        control,
        stop,
        tasks: Some(tasks),
        in_process: Some(in_process),
        _loops: loops,
    })
}

/// The scheduler as the executor calls it: limits raised, token attached.
type Scheduler = SchedulerClient<InterceptedService<Channel, PresentClusterToken>>;

fn scheduler_client(channel: Channel, token: PresentClusterToken) -> Scheduler {
    SchedulerClient::with_interceptor(channel, token)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES)
}

/// The executor's control side, shared by its loops.
#[derive(Debug, Clone)]
struct Worker {
    metadata: ExecutorMetadata,
    scheduler: Scheduler,
    env: TaskEnvironment,
    tasks: tokio::runtime::Handle,
    /// Never more tasks at once than slots, whatever the scheduler sends.
    slots: Arc<Semaphore>,
    running: Arc<RunningJobs>,
    tasks_finished: Arc<AtomicU64>,
    slot_usage: Arc<SlotUsage>,
    policy: SchedulerPolicy,
    /// Set when the scheduler refuses this executor for good.
    failure: Arc<watch::Sender<Option<String>>>,
    /// What `/readyz` answers: ready while registered.
    readiness: Readiness,
    /// Cancelled when the executor starts to drain: it never registers again.
    draining: CancellationToken,
}

impl Worker {
    async fn register(&self) {
        if self.draining.is_cancelled() {
            return;
        }
        let mut scheduler = self.scheduler.clone();
        let request = RegisterExecutorRequest {
            executor: Some(self.metadata.clone()),
            scheduler_policy: self.policy.as_str().to_string(),
        };
        match scheduler.register_executor(request).await {
            Ok(_) => {
                self.readiness.set_ready();
                tracing::info!(executor = self.metadata.id, "registered with the scheduler");
            }
            Err(status) if status.code() == tonic::Code::FailedPrecondition => {
                tracing::error!(executor = self.metadata.id, error = %status.message(), "the scheduler refused this executor");
                self.readiness.set_leaving(format!(
                    "the scheduler refused this executor: {}",
                    status.message()
                ));
                self.failure
                    .send_replace(Some(status.message().to_string()));
            }
            Err(status) => {
                self.readiness
                    .set_not_ready(format!("{NOT_REGISTERED}: {}", status.message()));
                tracing::warn!(executor = self.metadata.id, error = %status.message(), "registration failed; will retry")
            }
        }
    }

    async fn heartbeat(self, interval: Duration, stop: CancellationToken) {
        let mut scheduler = self.scheduler.clone();
        let mut ticks = tokio::time::interval(interval);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = ticks.tick() => {}
            }
            let request = HeartbeatRequest {
                executor_id: self.metadata.id.clone(),
                draining: self.draining.is_cancelled(),
            };
            match scheduler.heartbeat(request).await {
                Ok(response) if response.get_ref().reregister => {
                    self.readiness.set_not_ready(NOT_REGISTERED);
                    self.register().await;
                }
                Ok(_) => {}
                Err(status) => {
                    tracing::debug!(error = %status.message(), "heartbeat failed");
                }
            }
        }
    }

    async fn poll(self, stop: CancellationToken) {
        let mut scheduler = self.scheduler.clone();
        self.register().await;
        let mut acknowledged = 0;
        // The scheduler holds the call until it has work for us or this much time has gone.
        let wait = self.policy.poll_hold();
        loop {
            if self.failure.borrow().is_some() {
                return;
            }
            let request = PollWorkRequest {
                executor_id: self.metadata.id.clone(),
                wait_millis: u32::try_from(wait.as_millis()).unwrap_or(u32::MAX),
                acknowledged,
            };
            let polled = tokio::select! {
                _ = stop.cancelled() => return,
                polled = scheduler.poll_work(request) => polled,
            };
            let work = match polled {
                Ok(work) => work.into_inner(),
                Err(status) => {
                    tracing::debug!(error = %status.message(), "poll failed; retrying");
                    tokio::time::sleep(RETRY_PAUSE).await;
                    continue;
                }
            };
            if work.delivery != 0 {
                acknowledged = work.delivery;
            }
            if work.reregister {
                self.register().await;
                tokio::time::sleep(RETRY_PAUSE).await;
                continue;
            }
            for job in work.cancel_jobs {
                self.running.cancel(&JobId::new(job));
            }
            for job in work.forget_jobs {
                let job = JobId::new(job);
                self.running.forget(&job);
                self.remove_files(&job);
            }
            for task in work.tasks {
                self.launch(task);
            }
        }
    }

    /// Runs `task` on the task runtime and reports its outcome from the control runtime.
    fn launch(&self, task: TaskDefinition) {
        let job = JobId::new(task.job_id.clone());
        if self.running.is_forgotten(&job) {
            tracing::debug!(job = %job, "dropping a task of a job that is over");
            return;
        }
        let unfinished = task_runner::status_of(&task);
        let env = self.env.clone();
        let slots = Arc::clone(&self.slots);
        let usage = Arc::clone(&self.slot_usage);
        let metrics = Arc::clone(&self.env.metrics);
        let running = self.tasks.spawn(async move {
            let _slot = slots.acquire_owned().await;
            let _busy = usage.occupy();
            let _counted = metrics.task_running();
            task_runner::run_task(task, env).await
        });
        let abort = running.abort_handle();
        let id = self.running.add(&job, abort);
        let worker = self.clone();
        // The report waits on the task runtime too, so it goes down with the executor.
        self.tasks.spawn(async move {
            let finished = running.await;
            worker.running.remove(&job, id);
            if worker.running.is_forgotten(&job) {
                // The job ended while this task ran: what it wrote meanwhile goes too.
                worker.env.metrics.task_cancelled();
                worker.remove_files(&job);
                return;
            }
            let status = match finished {
                Ok(status) => status,
                // A cancelled task reports nothing: the scheduler already ended its job.
                Err(err) if err.is_cancelled() => {
                    worker.env.metrics.task_cancelled();
                    return;
                }
                Err(err) => task_runner::panicked(unfinished, &worker.metadata.id, &err),
            };
            worker.tasks_finished.fetch_add(1, Ordering::Relaxed);
            worker.env.metrics.task_reported(&status);
            worker.report(status).await;
        });
    }

    fn remove_files(&self, job: &JobId) {
        if let Err(err) = self.env.layout.remove_job(job) {
            tracing::warn!(job = %job, error = %err, "could not delete the job's shuffle files");
        }
    }

    /// Heartbeats as a draining executor until the scheduler no longer needs it (or no
    /// longer knows it, which comes to the same).
    async fn wait_until_released(&self) {
        let mut scheduler = self.scheduler.clone();
        loop {
            let request = HeartbeatRequest {
                executor_id: self.metadata.id.clone(),
                draining: true,
            };
            match scheduler.heartbeat(request).await {
                Ok(response) if response.get_ref().released || response.get_ref().reregister => {
                    return;
                }
                Ok(_) => {}
                Err(status) => {
                    tracing::debug!(error = %status.message(), "draining heartbeat failed");
                }
            }
            tokio::time::sleep(DRAIN_CHECK_INTERVAL).await;
        }
    }

    /// Tells the scheduler this executor is gone, so it is not declared lost later.
    async fn deregister(&self) {
        let mut scheduler = self.scheduler.clone();
        let request = DeregisterExecutorRequest {
            executor_id: self.metadata.id.clone(),
        };
        match tokio::time::timeout(DEREGISTER_TIMEOUT, scheduler.deregister_executor(request)).await
        {
            Ok(Ok(_)) => tracing::info!(executor = self.metadata.id, "deregistered"),
            Ok(Err(status)) => {
                tracing::warn!(executor = self.metadata.id, error = %status.message(), "could not deregister; the scheduler will declare this executor lost")
            }
            Err(_) => {
                tracing::warn!(
                    executor = self.metadata.id,
                    "the scheduler did not answer the deregistration; it will declare this executor lost"
                )
            }
        }
    }

    /// Tells the scheduler how a task ended, retrying for a while: a lost report would
    /// leave the task running in the scheduler's eyes until this executor is declared lost.
    async fn report(&self, status: crate::protocol::TaskStatus) {
        let mut scheduler = self.scheduler.clone();
        let request = ReportTaskRequest {
            executor_id: self.metadata.id.clone(),
            status: Some(status),
        };
        let mut pause = RETRY_PAUSE;
        for attempt in 1..=REPORT_ATTEMPTS {
            match scheduler.report_task(request.clone()).await {
                Ok(_) => return,
                Err(status) => {
                    tracing::warn!(attempt, error = %status.message(), "could not report a task; retrying");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(5));
                }
            }
        }
        tracing::error!(
            "gave up reporting a task; the scheduler will rerun it when it declares this executor lost"
        );
    }

    /// Deletes job directories nobody touched for `ttl`, the safety net behind the
    /// scheduler's "forget this job".
    async fn sweep(self, ttl: Duration, stop: CancellationToken) {
        let period = (ttl / 4).clamp(Duration::from_secs(1), Duration::from_secs(300));
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(period) => {}
            }
            for job in self.env.layout.jobs_older_than(ttl) {
                if self.running.has(&job) {
                    continue;
                }
                tracing::info!(job = %job, "deleting shuffle files nobody claimed within {ttl:?}");
                if let Err(err) = self.env.layout.remove_job(&job) {
                    tracing::warn!(job = %job, error = %err, "could not delete stale shuffle files");
                }
            }
        }
    }
}

/// An id unique across restarts: `executor-<random>`.
fn new_executor_id() -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("executor-{}", &random[..12])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nothing listens there: registration retries in the background, which these tests
    /// never wait for.
    const NO_SCHEDULER: &str = "http://127.0.0.1:1";

    #[tokio::test]
    async fn refuses_to_start_when_the_pool_is_smaller_than_the_task_slots() {
        let work_dir = tempfile::tempdir().unwrap();
        let executor_dir = work_dir.path().join("executor");
        let mut config = ExecutorConfig::loopback(NO_SCHEDULER, &executor_dir);
        config.concurrent_tasks = 8;
        config.memory_pool_size = Some(7);

        let err = start_executor(config).await.unwrap_err();

        assert!(
            matches!(
                err,
                ClusterError::MemoryPoolTooSmall {
                    memory_pool_size: 7,
                    concurrent_tasks: 8
                }
            ),
            "{err}"
        );
        let message = err.to_string();
        assert!(message.contains("7 bytes"), "{message}");
        assert!(message.contains("8 concurrent tasks"), "{message}");
        assert!(
            !executor_dir.exists(),
            "a refused executor leaves no work dir"
        );
    }

    #[tokio::test]
    async fn starts_when_every_slot_gets_at_least_a_byte() {
        let work_dir = tempfile::tempdir().unwrap();
        let mut config = ExecutorConfig::loopback(NO_SCHEDULER, work_dir.path());
        config.concurrent_tasks = 8;
        config.memory_pool_size = Some(8);
        start_executor(config).await.unwrap().stop().await;
    }

    #[tokio::test]
    async fn an_executor_that_never_registered_drains_at_once() {
        let work_dir = tempfile::tempdir().unwrap();
        let running = start_executor(ExecutorConfig::loopback(NO_SCHEDULER, work_dir.path()))
            .await
            .unwrap();
        tokio::time::timeout(Duration::from_secs(5), running.drain())
            .await
            .expect("nothing to wait for: the scheduler never knew it");
        running.stop().await;
    }

    #[tokio::test]
    async fn clears_the_spill_dir_when_it_starts_and_removes_it_when_it_stops() {
        let work_dir = tempfile::tempdir().unwrap();
        let spill_dir = work_dir.path().join("spill");
        let leftover = spill_dir.join("datafusion-crashed");
        std::fs::create_dir_all(&leftover).unwrap();
        std::fs::write(leftover.join("sort.tmp"), b"from a crashed run").unwrap();
        let mut config = ExecutorConfig::loopback(NO_SCHEDULER, work_dir.path());
        config.concurrent_tasks = 2;
        config.memory_pool_size = Some(64 << 20);

        let running = start_executor(config).await.unwrap();
        assert!(!leftover.exists(), "spill files of an earlier run are gone");
        assert!(spill_dir.is_dir(), "spills go under the work dir");
        assert_eq!(running.spill_count(), 0);

        running.stop().await;
        assert!(!spill_dir.exists());
    }
}
