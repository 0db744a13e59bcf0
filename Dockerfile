# syntax=docker/dockerfile:1
# The `trebuchet` binary in a slim image, for `docker compose` and Kubernetes (docs/deployment.md).
#   docker build -t trebuchet:dev .
# The first build compiles DataFusion: about 15 minutes on two cores, seconds after that
# while BuildKit's cache mounts last.

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS builder
WORKDIR /src
COPY . .
# The same cargo CI runs (dev/test.sh builds the workspace), in release mode and only the
# crate of the `trebuchet` binary. --locked: the image gets exactly Cargo.lock's versions.
# target/ is a cache mount, so the binary is copied out in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked -p trebuchet-flight-sql-server --bin trebuchet \
    && install -D -m 0755 target/release/trebuchet /out/trebuchet

FROM debian:${DEBIAN_RELEASE}-slim AS runtime
# ca-certificates: TLS to object stores and to servers with public certificates. Not pinned
# (DL3008): Debian replaces the version in point releases, and a pin would break the build.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
# A fixed, unprivileged uid/gid, which the Kubernetes manifests name in runAsUser/fsGroup.
RUN groupadd --system --gid 10001 trebuchet \
    && useradd --system --uid 10001 --gid trebuchet --home-dir /var/lib/trebuchet \
       --shell /usr/sbin/nologin trebuchet \
    && install -d -o trebuchet -g trebuchet -m 0750 \
       /var/lib/trebuchet /var/lib/trebuchet/work /var/lib/trebuchet/shared
COPY --from=builder /out/trebuchet /usr/local/bin/trebuchet
USER 10001:10001
WORKDIR /var/lib/trebuchet
# Inside a container, loopback (the binary's default) is unreachable from outside. Listening
# on every address still needs users or --allow-unauthenticated: the server refuses otherwise.
ENV TREBUCHET_HOST=0.0.0.0 \
    TREBUCHET_EXECUTOR_HOST=0.0.0.0
# 50050: scheduler (Flight SQL, cluster service, /healthz, /readyz).
# 50051: an executor's Flight service (tasks, shuffle files, /healthz, /readyz).
EXPOSE 50050 50051
ENTRYPOINT ["trebuchet"]
CMD ["--help"]
