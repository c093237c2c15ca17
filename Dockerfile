# Build stage: compile the release binary.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --bin wenming

# Runtime stage: a small image with the binary only, run as an unprivileged user.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /var/lib/wenming --create-home wenming
COPY --from=build /src/target/release/wenming /usr/local/bin/wenming
USER wenming
WORKDIR /var/lib/wenming
ENV BIND_ADDR=0.0.0.0:8080 DATA_DIR=/var/lib/wenming/data LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["/usr/local/bin/wenming"]
