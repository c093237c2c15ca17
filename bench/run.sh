#!/usr/bin/env bash
# The benchmark (issue 10), and the one entry point (it replaces bench/run, whose GET /healthz
# floor is the `healthz` row here): the release server under loadgen's scenarios at 64 clients, each
# followed at once by its pgbench reference (what PostgreSQL alone does for the same operation
# on the same machine), so every API figure is read as a ratio to a limit measured in the same
# minute; then the same scenarios on SQLite (invariants and figures, no reference), start-up
# to ready on an existing SQLite database, and idle/peak resident memory.
#
# Usage: bench/run.sh                 # issue 10's sizes: about 12 minutes with a built binary
#        QUICK=1 bench/run.sh         # small database, 5 s runs: about 4 minutes
#
# Environment (defaults in brackets):
#   PGHOST [127.0.0.1] PGPORT [5432] PGUSER [postgres] PGPASSWORD [postgres]
#   BENCH_DB [wenming_bench]  the API's database (dropped and created afresh)
#   PGBENCH_DB [wenming_pgbench]  the pgbench reference schema's database (idem)
#   PGBENCH_DIR [../shared/bench/pgbench]  the reference scripts (schema.sql, signup.sql, ...)
#   CLIENTS [64]  concurrency of every run, API and pgbench alike
#   HIGH_CLIENTS [256]  one more browse run at this concurrency, for peak memory (0: skip; no
#                       pgbench reference: PostgreSQL allows 100 connections by default)
#   DURATION [15; QUICK 5]  seconds per timed run (rush and grab run until everyone has tried)
#   STATIONS RESIDENTS VOLUNTEERS ACTIVITIES ORDERS OPEN_ACTIVITIES OPEN_ORDERS RUSH_CAPACITY
#   RUSH_USERS GRAB_VOLUNTEERS USERS  seeding and scenario sizes (issue 10's, or QUICK's)
#   SQLITE [1]  also run the SQLite pass;  POSTGRES [1]  run the PostgreSQL pass
#   BUILD [1]  build the release binaries first (0: use target/release as it is)
#   WENMING_BIN, LOADGEN_BIN  other builds to measure (BUILD=0)
#   OUT [a new temporary folder]  raw outputs: loadgen JSON, pgbench output, server logs, table
#   SCENARIOS [healthz browse signup rush grab submit mixed]  which scenarios to run
#   PROFILE [0]  1: `perf record` the server during every run (perf-*.txt in OUT: where its CPU goes)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
export PGPASSWORD=${PGPASSWORD:-postgres}
BENCH_DB=${BENCH_DB:-wenming_bench}
PGBENCH_DB=${PGBENCH_DB:-wenming_pgbench}
PGBENCH_DIR=${PGBENCH_DIR:-$ROOT/../shared/bench/pgbench}
CLIENTS=${CLIENTS:-64}
HIGH_CLIENTS=${HIGH_CLIENTS:-256}
SQLITE=${SQLITE:-1}
POSTGRES=${POSTGRES:-1}
BUILD=${BUILD:-1}
OUT=${OUT:-$(mktemp -d -t wenming-bench.XXXXXX)}
PORT=${BENCH_PORT:-18390}
JWT_SECRET=bench-secret-bench-secret-bench-secret-0001

if [ "${QUICK:-0}" = 1 ]; then
  : "${DURATION:=5}" "${STATIONS:=10}" "${RESIDENTS:=10000}" "${VOLUNTEERS:=1000}" "${ACTIVITIES:=10000}"
  : "${ORDERS:=50000}" "${OPEN_ACTIVITIES:=2000}" "${OPEN_ORDERS:=100}" "${RUSH_CAPACITY:=200}"
  : "${RUSH_USERS:=1000}" "${GRAB_VOLUNTEERS:=400}" "${USERS:=1000}"
else
  : "${DURATION:=15}" "${STATIONS:=50}" "${RESIDENTS:=100000}" "${VOLUNTEERS:=5000}" "${ACTIVITIES:=100000}"
  : "${ORDERS:=500000}" "${OPEN_ACTIVITIES:=10000}" "${OPEN_ORDERS:=500}" "${RUSH_CAPACITY:=1000}"
  : "${RUSH_USERS:=5000}" "${GRAB_VOLUNTEERS:=2000}" "${USERS:=5000}"
fi
SCENARIOS=${SCENARIOS:-healthz browse signup rush grab submit mixed}

for tool in psql pgbench pg_isready curl jq; do
  command -v "$tool" > /dev/null || { echo "bench/run.sh needs $tool" >&2; exit 1; }
done
[ -f "$PGBENCH_DIR/schema.sql" ] || { echo "no pgbench reference scripts in $PGBENCH_DIR (set PGBENCH_DIR)" >&2; exit 1; }
mkdir -p "$OUT"
STARTED=$(date +%s)
log() { echo "# $(date -u +%H:%M:%S) $*" >&2; }

if [ "$BUILD" = 1 ]; then
  log "building the release binaries (cargo build --release -j 1)"
  CARGO_PROFILE_RELEASE_DEBUG=${CARGO_PROFILE_RELEASE_DEBUG:-line-tables-only} \
    cargo build --release -j 1 -q -p wenming -p loadgen --bin wenming --bin loadgen
fi
WENMING=${WENMING_BIN:-$ROOT/target/release/wenming}
LOADGEN=${LOADGEN_BIN:-$ROOT/target/release/loadgen}

# --- PostgreSQL ------------------------------------------------------------------------------
if [ "$POSTGRES" = 1 ] && ! timeout 10 pg_isready -q; then
  log "starting PostgreSQL"
  pg_ctlcluster "$(ls /etc/postgresql | sort -n | tail -1)" main start
  for _ in $(seq 1 30); do timeout 5 pg_isready -q && break; sleep 1; done
fi
fresh_db() {
  PGOPTIONS="-c client_min_messages=warning" timeout 60 psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"
}
pg() { timeout 600 psql -X -q -v ON_ERROR_STOP=1 -d "$PGBENCH_DB" "$@"; }

# --- the server --------------------------------------------------------------------------------
SERVER=
stop_server() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2> /dev/null || true; wait "$SERVER" 2> /dev/null || true; SERVER=; fi
}
trap stop_server EXIT
# start_server <log> <env...>: starts the release server; sets SERVER and READY_MS.
start_server() {
  local logfile=$1; shift
  local t0; t0=$(date +%s%N)
  env "$@" BIND_ADDR=127.0.0.1:$PORT BACKGROUND_JOBS=off RUST_LOG=warn \
    LOGIN_ATTEMPTS_PER_MINUTE=10000 LOGIN_PHONE_ATTEMPTS_PER_MINUTE=10000 \
    BOOTSTRAP_ADMIN_PASSWORD=bench-admin-1 "$WENMING" serve > "$logfile" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 600); do
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/readyz" 2> /dev/null && break
    kill -0 "$SERVER" 2> /dev/null || { cat "$logfile" >&2; echo "the server died" >&2; exit 1; }
    sleep 0.01
  done
  READY_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}
kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
# CPU time in clock ticks: the whole machine's busy time, one process's (its threads included).
HZ=$(getconf CLK_TCK)
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
proc_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2> /dev/null || echo 0; }
# ticks_until_exit <pid>: the process's CPU ticks as last read before it exited (once it is
# gone its /proc entry is too). The caller still `wait`s for it.
ticks_until_exit() {
  local last=0 t
  while kill -0 "$1" 2> /dev/null; do
    t=$(proc_ticks "$1"); [ "$t" -gt 0 ] && last=$t
    sleep 0.2
  done
  echo "$last"
}
# cpu_split <requests> <busy ticks> <server ticks> <client ticks>: "server/postgres/client" in
# CPU microseconds per request; PostgreSQL is the rest of the machine's busy time (its backends
# come and go with their connections, so they are not counted one by one).
cpu_split() {
  awk -v n="$1" -v busy="$2" -v srv="$3" -v cli="$4" -v hz="$HZ" 'BEGIN {
    if (n <= 0) { print "-"; exit }
    us = 1e6 / hz / n; pg = busy - srv - cli; if (pg < 0) pg = 0
    printf "%d/%d/%d", srv * us, pg * us, cli * us }'
}
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

# --- pgbench references ------------------------------------------------------------------------
pgbench_setup() {
  log "pgbench reference schema in $PGBENCH_DB ($ACTIVITIES activities, $ORDERS orders, $STATIONS stations)"
  fresh_db "$PGBENCH_DB"
  pg -v n_activities="$ACTIVITIES" -v n_stations="$STATIONS" -v capacity=100 -v n_orders="$ORDERS" \
     -f "$PGBENCH_DIR/schema.sql" > /dev/null
}
# pgbench_run <name>: resets the reference's state, runs it at CLIENTS for DURATION; prints its TPS.
pgbench_run() {
  local name=$1 script vars cap1=100
  case $name in
    signup)     script=signup.sql;     vars="-D aid_min=1 -D aid_max=$OPEN_ACTIVITIES" ;;
    signup_1rt) script=signup_1rt.sql; vars="-D aid_min=1 -D aid_max=$OPEN_ACTIVITIES" ;;
    signup_hot) script=signup.sql;     vars="-D aid_min=1 -D aid_max=1"; cap1=1000000000 ;;
    accept)     script=accept.sql;     vars="-D n_orders=$ORDERS" ;;
    list_count) script=list_count.sql; vars="-D n_stations=$STATIONS" ;;
  esac
  pg > /dev/null <<SQL
TRUNCATE signups, order_events RESTART IDENTITY;
UPDATE activities SET signed = 0, capacity = 100 WHERE id <> 1 AND (signed <> 0 OR capacity <> 100);
UPDATE activities SET signed = 0, capacity = $cap1 WHERE id = 1;
UPDATE orders SET status = 'open', volunteer_id = NULL, accepted_at = NULL WHERE status <> 'open';
VACUUM (ANALYZE) activities; VACUUM (ANALYZE) orders; VACUUM (ANALYZE) signups; VACUUM (ANALYZE) order_events;
CHECKPOINT;
SQL
  local busy0 cli client
  busy0=$(busy_ticks)
  # pgbench itself (-T bounds it), not under `timeout`: its own CPU is read from its pid.
  # shellcheck disable=SC2086
  pgbench -n -c "$CLIENTS" -j 2 -T "$DURATION" -M prepared $vars \
    -f "$PGBENCH_DIR/$script" "$PGBENCH_DB" > "$OUT/pgbench-$name.out" 2>&1 &
  client=$!
  cli=$(ticks_until_exit "$client")
  wait "$client" || true
  local txns
  txns=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$OUT/pgbench-$name.out")
  echo "pgbench $name: CPU us/txn -/postgres/pgbench $(cpu_split "${txns:-0}" $(( $(busy_ticks) - busy0 )) 0 "$cli")" >> "$CPU_NOTES"
  sed -n "s/^tps = \([0-9]*\.\?[0-9]\?\)[0-9]* (without initial connection time)/\1/p" "$OUT/pgbench-$name.out"
}

# --- one pass of the scenarios -----------------------------------------------------------------
TABLE=$OUT/table.tsv
printf 'database\tscenario\tclients\tapi_rps\treference\tref_tps\tratio\tp50_ms\tp99_ms\tp99/p50\tinvariant\tpeak_rss_mib\tcpu_us/req(server/db/client)\n' > "$TABLE"
CPU_NOTES=$OUT/cpu-notes.txt
: > "$CPU_NOTES"

# loadgen_run <db> <scenario> <clients> [label]: one scenario; appends the API columns to ROW.
loadgen_run() {
  local db=$1 scenario=$2 clients=$3 label=${4:-$2} json
  json=$OUT/loadgen-$db-$label.json
  # Reset the peak (VmHWM) to the current size, so the peak read afterwards is this run's.
  echo 5 > "/proc/$SERVER/clear_refs" 2> /dev/null || true
  local busy0 srv0 cli
  busy0=$(busy_ticks); srv0=$(proc_ticks "$SERVER")
  "$LOADGEN" --base "http://127.0.0.1:$PORT" --users-file "$OUT/seed-$db.json" --tokens-file "$OUT/tokens-$db.json" \
    --scenario "$scenario" --concurrency "$clients" --duration "${DURATION}s" --users "$USERS" \
    --rush-users "$RUSH_USERS" --grab-volunteers "$GRAB_VOLUNTEERS" --json > "$json" 2> "$OUT/loadgen-$db-$label.err" &
  local client=$! perf=
  if [ "${PROFILE:-0}" = 1 ] && command -v perf > /dev/null; then
    # Where the server's CPU goes: sampled by the kernel's clock (works in VMs without PMU).
    perf record -q -e cpu-clock -F 499 -g -p "$SERVER" -o "$OUT/perf-$db-$label.data" > /dev/null 2>&1 &
    perf=$!
  fi
  # loadgen's own CPU, read just before it exits (its logins happen before the timed run and
  # are counted too: a slight overstatement of the client's share).
  cli=$(ticks_until_exit "$client")
  wait "$client" || true
  if [ -n "$perf" ]; then
    kill -INT "$perf" 2> /dev/null; wait "$perf" 2> /dev/null || true
    perf report -i "$OUT/perf-$db-$label.data" --no-children --percent-limit 0.5 --stdio --sort dso,sym \
      > "$OUT/perf-$db-$label.txt" 2> /dev/null || true
  fi
  if ! jq -e .requests "$json" > /dev/null 2>&1; then
    echo "loadgen $scenario failed: $(cat "$OUT/loadgen-$db-$label.err")" >&2
    API_RPS=0; P50=-; P99=-; SPREAD=-; INVARIANT=error
  else
    API_RPS=$(jq -r '.requests_per_second | . * 10 | round / 10' "$json")
    P50=$(jq -r '.latency_us.p50 / 1000 | . * 100 | round / 100' "$json")
    P99=$(jq -r '.latency_us.p99 / 1000 | . * 100 | round / 100' "$json")
    SPREAD=$(jq -r 'if .latency_us.p50 > 0 then (.latency_us.p99 / .latency_us.p50 * 10 | round / 10) else "-" end' "$json")
    INVARIANT=$(jq -r 'if .invariant_ok then "ok" else "FAILED" end' "$json")
    # A request loadgen had to send twice (a 503 BUSY, say) is a failure for a benchmark.
    [ "$(jq -r '.resent // 0' "$json")" = 0 ] || INVARIANT="resent $(jq -r .resent "$json")"
  fi
  CPU=$(cpu_split "$(jq -r '.requests // 0' "$json" 2> /dev/null || echo 0)" \
    $(( $(busy_ticks) - busy0 )) $(( $(proc_ticks "$SERVER") - srv0 )) "$cli")
  PEAK=$(mib "$(kib "$SERVER" VmHWM)")
  log "$db $label c=$clients: $API_RPS req/s, p50 $P50 ms, p99 $P99 ms, invariant $INVARIANT, peak RSS $PEAK MiB, CPU us/req server/db/client $CPU"
}
row() { # db scenario clients reference ref_tps
  local ratio=-
  if [ -n "${5:-}" ] && [ "$5" != - ]; then ratio=$(awk -v a="$API_RPS" -v b="$5" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'); fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$API_RPS" "$4" "${5:--}" "$ratio" \
    "$P50" "$P99" "$SPREAD" "$INVARIANT" "$PEAK" "$CPU" >> "$TABLE"
}

SEED_ARGS=(--scale --stations "$STATIONS" --residents "$RESIDENTS" --volunteers "$VOLUNTEERS"
           --activities "$ACTIVITIES" --orders "$ORDERS" --open-activities "$OPEN_ACTIVITIES"
           --open-orders "$OPEN_ORDERS" --rush-capacity "$RUSH_CAPACITY")
NOTES=$OUT/notes.txt
: > "$NOTES"

if [ "$POSTGRES" = 1 ]; then
  PG_ENV=(DATABASE_URL="postgres://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/$BENCH_DB" JWT_SECRET=$JWT_SECRET DATA_DIR="$OUT/pg-data")
  fresh_db "$BENCH_DB"
  log "seeding PostgreSQL $BENCH_DB: ${SEED_ARGS[*]}"
  env "${PG_ENV[@]}" "$WENMING" seed "${SEED_ARGS[@]}" --users-file "$OUT/seed-pg.json" > "$OUT/seed-pg.out"
  echo "PostgreSQL seeding: $(jq -r .seconds "$OUT/seed-pg.out" | xargs printf '%.1f') s" >> "$NOTES"
  timeout 600 psql -X -q -d "$BENCH_DB" -c "VACUUM ANALYZE" > /dev/null
  env "${PG_ENV[@]}" "$WENMING" tokens --users-file "$OUT/seed-pg.json" --out "$OUT/tokens-pg.json" > /dev/null
  pgbench_setup
  start_server "$OUT/server-pg.log" "${PG_ENV[@]}"
  sleep 2
  echo "PostgreSQL server: ready after $READY_MS ms; idle RSS $(mib "$(kib "$SERVER" VmRSS)") MiB" >> "$NOTES"
  for scenario in $SCENARIOS; do
    loadgen_run pg "$scenario" "$CLIENTS"
    case $scenario in
      browse) row postgres browse "$CLIENTS" list_count "$(pgbench_run list_count)" ;;
      signup)
        row postgres signup "$CLIENTS" signup "$(pgbench_run signup)"
        row postgres signup "$CLIENTS" signup_1rt "$(pgbench_run signup_1rt)" ;;
      rush)   row postgres rush "$CLIENTS" signup_hot "$(pgbench_run signup_hot)" ;;
      grab)   row postgres grab "$CLIENTS" accept "$(pgbench_run accept)" ;;
      *)      row postgres "$scenario" "$CLIENTS" - - ;;
    esac
  done
  if [ "$HIGH_CLIENTS" -gt 0 ]; then
    loadgen_run pg browse "$HIGH_CLIENTS" "browse-c$HIGH_CLIENTS"
    row postgres browse "$HIGH_CLIENTS" - -
  fi
  stop_server
fi

if [ "$SQLITE" = 1 ]; then
  SQ_ENV=(DATA_DIR="$OUT/sqlite-data" JWT_SECRET=$JWT_SECRET)
  log "seeding SQLite: ${SEED_ARGS[*]}"
  env "${SQ_ENV[@]}" "$WENMING" seed "${SEED_ARGS[@]}" --users-file "$OUT/seed-sqlite.json" > "$OUT/seed-sqlite.out"
  echo "SQLite seeding: $(jq -r .seconds "$OUT/seed-sqlite.out" | xargs printf '%.1f') s" >> "$NOTES"
  env "${SQ_ENV[@]}" "$WENMING" tokens --users-file "$OUT/seed-sqlite.json" --out "$OUT/tokens-sqlite.json" > /dev/null
  # Start-up to ready on the existing database (migrated and seeded above).
  start_server "$OUT/server-sqlite.log" "${SQ_ENV[@]}"
  sleep 2
  echo "SQLite server: ready after $READY_MS ms on the existing database; idle RSS $(mib "$(kib "$SERVER" VmRSS)") MiB" >> "$NOTES"
  # The read path before the reader pool: every query through the one writer connection.
  stop_server
  start_server "$OUT/server-sqlite-1.log" "${SQ_ENV[@]}" SQLITE_READERS=0
  loadgen_run sqlite browse "$CLIENTS" browse-readers0
  row sqlite "browse (SQLITE_READERS=0)" "$CLIENTS" - -
  stop_server
  start_server "$OUT/server-sqlite.log" "${SQ_ENV[@]}"
  for scenario in $SCENARIOS; do
    loadgen_run sqlite "$scenario" "$CLIENTS"
    row sqlite "$scenario" "$CLIENTS" - -
  done
  stop_server
fi

# --- the table ---------------------------------------------------------------------------------
{
  echo
  echo "wenming $(git -C "$ROOT" rev-parse --short HEAD 2> /dev/null || echo '?'), $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "$(pgbench --version | head -1); PostgreSQL $(psql -X -Atd postgres -c 'SHOW server_version' 2> /dev/null || echo '?')"
  echo "sizes: ${SEED_ARGS[*]}; users $USERS, rush $RUSH_USERS, grab $GRAB_VOLUNTEERS; ${DURATION} s per timed run"
  echo
  column -t -s $'\t' "$TABLE"
  echo
  cat "$CPU_NOTES"
  echo
  cat "$NOTES"
  echo "whole run: $(( $(date +%s) - STARTED )) s; raw outputs in $OUT"
} | tee "$OUT/report.txt"
if grep -q -P '\t(FAILED|error|resent [0-9]+)\t' "$TABLE"; then exit 1; fi
