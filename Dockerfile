# urssaf-gateway container image.
#
#   docker build -t urssaf-gateway .          (or: podman build / buildah build)
#   docker run --rm -p 8080:8080 urssaf-gateway          # embedded simulator, no credentials needed
#
# Stages: chef (toolchain + cargo-chef) -> planner (dependency recipe) -> builder
# (cached dependency layer, then our sources) -> runtime (distroless, no shell).
#
# Why glibc + distroless/cc rather than musl + distroless/static: musl's malloc
# serialises threads and makes a multi-threaded actix/tokio server several times
# slower unless a global allocator (mimalloc/jemalloc) is compiled in. The binary
# sets none, so we build against glibc on Debian 12 (bookworm) and run on
# gcr.io/distroless/cc-debian12, which carries exactly the same glibc (2.36)
# plus libgcc_s, ca-certificates and tzdata. TLS is rustls: no libssl needed.
#
# Base images: fully qualified (no registry search list, which podman and
# buildah may be configured with) and pinned by digest, the tag kept for
# readability. A rebuild gets the same bytes; refresh them on purpose (see
# docs/deploy.md, "Base images"), e.g.
#   crane digest docker.io/library/rust:1.99.0-bookworm
#   crane digest gcr.io/distroless/cc-debian12:nonroot

ARG CARGO_CHEF_VERSION=0.1.78

########################################################################
FROM docker.io/library/rust:1.99.0-bookworm@sha256:fbc3a359627c6b5d9c8b20aae5c413a87392954f020006d7a9f7d95938964b23 AS chef
ARG CARGO_CHEF_VERSION
RUN cargo install cargo-chef --locked --version "${CARGO_CHEF_VERSION}"
WORKDIR /app

########################################################################
FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

########################################################################
FROM chef AS builder
# Dependency layer: only changes when Cargo.toml / Cargo.lock change.
COPY --from=planner /app/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json --bin urssaf-gateway
# Our sources (same working directory as `cook`, as cargo-chef requires).
COPY . .
RUN cargo build --release --locked --bin urssaf-gateway \
 && install -D -m 0755 target/release/urssaf-gateway /out/urssaf-gateway

########################################################################
FROM gcr.io/distroless/cc-debian12:nonroot@sha256:9dac0a79194e45a7da0158a9c6da57b217585af0786db3845d1f0ec1a0dd182f AS runtime

ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="urssaf-gateway" \
      org.opencontainers.image.description="Stateless HTTP gateway between billing software and Urssaf's API Tiers de Prestation (avance immédiate)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="gcr.io/distroless/cc-debian12:nonroot" \
      org.opencontainers.image.base.digest="sha256:9dac0a79194e45a7da0158a9c6da57b217585af0786db3845d1f0ec1a0dd182f"

COPY --from=builder --chown=0:0 /out/urssaf-gateway /usr/local/bin/urssaf-gateway

# Smoke test at build time: the binary starts and links against this image's
# glibc. Exec form, because the image has no shell.
RUN ["/usr/local/bin/urssaf-gateway", "--version"]

# uid/gid 65532 = "nonroot" in distroless; numeric so that Kubernetes'
# runAsNonRoot can verify it without reading /etc/passwd.
USER 65532:65532

# 8080: HTTP API, /healthz, /readyz, /openapi.json, /docs (and /metrics unless
# GATEWAY__SERVER__METRICS_PORT is set). 9090: /metrics when
# GATEWAY__SERVER__METRICS_PORT=9090 (as the Helm chart sets it).
EXPOSE 8080 9090

ENV GATEWAY__LOG__FORMAT=json

# No HEALTHCHECK: distroless has neither a shell nor curl/wget to probe
# /healthz, and the binary has no self-probe subcommand. Orchestrators probe
# over HTTP instead (Kubernetes liveness /healthz, readiness /readyz; see the
# Helm chart). The process handles SIGTERM itself (readiness false, drain,
# finish in-flight requests, exit 0), so no init process is needed.
ENTRYPOINT ["/usr/local/bin/urssaf-gateway"]
CMD ["serve"]
