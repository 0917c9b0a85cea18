# syntax=docker/dockerfile:1
# health-checkin: one binary, serving on 8080. Build with `docker build -t health-checkin .`

# ---- build ----------------------------------------------------------------------------
FROM rust:1.95-bookworm AS build
# libpq for diesel's PostgreSQL backend, OpenSSL's headers for TLS to the mail server;
# SQLite is bundled and compiled from source.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq-dev libssl-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Everything the release build reads: .cargo/config.toml sets the flags of the bundled
# SQLite; migrations/ and static/ are embedded into the binary; benches/ must be present
# because Cargo.toml declares the benchmarks by name.
COPY Cargo.toml Cargo.lock build.rs ./
COPY .cargo .cargo
COPY migrations migrations
COPY static static
COPY benches benches
COPY src src
# The cache mounts keep downloaded crates and compiled dependencies between builds, so a
# change to src/ recompiles only this crate. target/ lives in the cache, not in the layer,
# hence the copy out in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
 && install -m 0755 target/release/health-checkin /usr/local/bin/health-checkin

# ---- run ------------------------------------------------------------------------------
FROM debian:bookworm-slim
# The binary links libpq and OpenSSL dynamically; ca-certificates for smtps:// and
# sslmode=require; curl for the HEALTHCHECK only (the binary has no health command).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 libssl3 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 health-checkin \
 && useradd --system --uid 10001 --gid 10001 --no-create-home \
        --home-dir /var/lib/health-checkin --shell /usr/sbin/nologin health-checkin \
 && install -d -m 0700 -o health-checkin -g health-checkin /var/lib/health-checkin
COPY --from=build /usr/local/bin/health-checkin /usr/local/bin/health-checkin

# The data folder holds the SQLite database (the default when DATABASE_URL is unset) and the
# mail outbox files (when SMTP_URL is unset). 0700: the server warns about a folder that
# others can read. A new volume takes this owner and mode from the image.
ENV HC_DATA_DIR=/var/lib/health-checkin \
    HC_BIND=0.0.0.0:8080
VOLUME ["/var/lib/health-checkin"]
WORKDIR /var/lib/health-checkin
USER 10001:10001
EXPOSE 8080

# /readyz answers 200 when the database answers, 503 when it does not. The address follows
# HC_BIND: change both together. The start period covers migrations on first start.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/readyz"]

# On SIGTERM the server stops taking connections, finishes its requests (up to 30 s), and the
# background jobs finish the mails in flight (up to 40 s more): give `docker stop` time for
# that (`docker stop -t 75`, or `stop_grace_period` in compose.yaml).
STOPSIGNAL SIGTERM
# With no arguments the binary migrates and serves; `docker run … IMAGE org create …` runs a
# command instead.
ENTRYPOINT ["/usr/local/bin/health-checkin"]
