# syntax=docker/dockerfile:1
#
# One image for every graph-olap process: the control plane (`serve`), the export workers
# (`worker`) and the instance servers (`instance`, started as pods by the Kubernetes runtime).
#
#   docker build -t graph-olap:0.1.0 .
#
# Build stage: the same cargo profile (dev, see Cargo.toml) and the same caches as the README
# (cargo's target directory and ccache under ~/.cache/graph-olap, kept in BuildKit cache mounts),
# so the embedded C++ engine is compiled once per builder and later builds are incremental.
# Runtime stage: only the `graph-olap` binary on a distroless base (glibc, libstdc++, CA
# certificates; no shell, no package manager), running as a non-root user.

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-bookworm AS build
WORKDIR /src
# The build tools come from the one list the README's scripts use.
COPY scripts/prerequisites.sh scripts/build-env.sh scripts/
RUN bash -c '. scripts/prerequisites.sh && ensure_tools build'
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/root/.cache/graph-olap \
    bash -c '. scripts/build-env.sh \
      && cargo build --locked -p graph-olap-cli --bin graph-olap \
      && install -D -m 0755 "$CARGO_TARGET_DIR/debug/graph-olap" /out/graph-olap'

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/graph-olap /usr/local/bin/graph-olap
# The uid/gid the Kubernetes runtime's pods and the Helm chart run as (runAsNonRoot).
USER 10001:10001
EXPOSE 8000
ENTRYPOINT ["/usr/local/bin/graph-olap"]
CMD ["serve"]
