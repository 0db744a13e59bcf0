//! Generates the gRPC stubs of the cluster protocol (scheduler ⇄ executors) from the
//! method list below. The messages are plain prost structs in `src/protocol/messages.rs`,
//! so no `.proto` file and no `protoc` are needed to build.

use tonic_build::manual::{Builder, Method, Service};

fn main() {
    let method = |name: &str, route: &str, input: &str, output: &str| {
        Method::builder()
            .name(name)
            .route_name(route)
            .input_type(format!("crate::protocol::{input}"))
            .output_type(format!("crate::protocol::{output}"))
            .codec_path("tonic_prost::ProstCodec")
            .build()
    };
    let scheduler = Service::builder()
        .name("Scheduler")
        .package("trebuchet.cluster.v1")
        .comment("What executors ask of the scheduler.")
        .method(method(
            "register_executor",
            "RegisterExecutor",
            "RegisterExecutorRequest",
            "RegisterExecutorResponse",
        ))
        .method(method(
            "heartbeat",
            "Heartbeat",
            "HeartbeatRequest",
            "HeartbeatResponse",
        ))
        .method(method(
            "poll_work",
            "PollWork",
            "PollWorkRequest",
            "PollWorkResponse",
        ))
        .method(method(
            "report_task",
            "ReportTask",
            "ReportTaskRequest",
            "ReportTaskResponse",
        ))
        .method(method(
            "deregister_executor",
            "DeregisterExecutor",
            "DeregisterExecutorRequest",
            "DeregisterExecutorResponse",
        ))
        .build();
    Builder::new().compile(&[scheduler]);
}
