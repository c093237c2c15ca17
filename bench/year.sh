#!/usr/bin/env bash
# The station's year under load of data: seeds one station with a year of work (10,000 orders,
# 2,000 activities by default), starts the release server and times the year's reports: the
# overview, the half-year report (station and district), plan compliance, rankings and the
# ledger in json, csv and xlsx. Each endpoint gets WARMUP + RUNS sequential requests; the table
# gives median, p90 and max wall time (curl), the answer's size, and two baselines measured in
# the same run: GET /healthz through the same client (the HTTP floor), and on PostgreSQL the
# time PostgreSQL itself spent executing the statements of one such request (its own duration
# log, switched on for that one request and filtered to the benchmark's database).
#
# Usage: bench/year.sh            (PostgreSQL at BENCH_PG, default postgres://postgres@127.0.0.1:5432)
#        BENCH_SQLITE=1 bench/year.sh   (the embedded SQLite instead)
#        ORDERS=10000 ACTIVITIES=2000 RUNS=20 bench/year.sh
#        WENMING_BIN=path/to/wenming bench/year.sh   (an existing build instead of building one)
set -euo pipefail
cd "$(dirname "$0")/.."

ORDERS=${ORDERS:-10000}
ACTIVITIES=${ACTIVITIES:-2000}
RUNS=${RUNS:-20}
WARMUP=${WARMUP:-3}
PORT=${BENCH_PORT:-18310}
PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
PG_LOG=${BENCH_PG_LOG:-$(ls /var/log/postgresql/postgresql-*-main.log 2> /dev/null | head -1)}
BASE="http://127.0.0.1:$PORT"

if [ -z "${WENMING_BIN:-}" ]; then
  cargo build --release --bin wenming -q
  WENMING_BIN=target/release/wenming
fi
WORK=$(mktemp -d)
SERVER=
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2> /dev/null || true
  if [ -z "${BENCH_SQLITE:-}" ]; then
    pg_logging RESET > /dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

ENVS=(DATA_DIR="$WORK" BIND_ADDR="127.0.0.1:$PORT" BOOTSTRAP_ADMIN_PASSWORD=admin12345
      LOGIN_ATTEMPTS_PER_MINUTE=10000 RUST_LOG=warn BACKGROUND_JOBS=off
      JWT_SECRET=bench-secret-bench-secret-bench-secret-01)
if [ -n "${BENCH_SQLITE:-}" ]; then
  ENVS+=(DATABASE_URL="sqlite://$WORK/bench.db")
  BACKEND="SQLite"
else
  DB=wenming_bench_year
  psql "$PG/postgres" -qAtc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" > /dev/null
  psql "$PG/postgres" -qAtc "CREATE DATABASE $DB" > /dev/null
  ENVS+=(DATABASE_URL="$PG/$DB")
  BACKEND="PostgreSQL $(psql "$PG/postgres" -qAtc 'SHOW server_version')"
fi

echo "seeding $ORDERS orders and $ACTIVITIES activities ($BACKEND)…"
SEED_START=$(date +%s.%N)
env "${ENVS[@]}" "$WENMING_BIN" seed --orders "$ORDERS" --activities "$ACTIVITIES" > "$WORK/seed.json"
SEED_END=$(date +%s.%N)
field() { python3 -c "import json,sys; print(json.load(open('$WORK/seed.json'))['$1'])"; }
STATION=$(field station_id); YEAR=$(field year); PASSWORD=$(field password)
SECRETARY=$(field secretary_phone); SUPERVISOR=$(field supervisor_phone)

env "${ENVS[@]}" "$WENMING_BIN" > "$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -fsS "$BASE/readyz" > /dev/null 2>&1 && break; sleep 0.1; done

login() {
  curl -fsS -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"phone\":\"$1\",\"password\":\"$PASSWORD\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
STAFF=$(login "$SECRETARY")
DISTRICT=$(login "$SUPERVISOR")

# name | token | path
ENDPOINTS=(
  "healthz (HTTP floor)||/healthz"
  "overview, whole year|$STAFF|/api/v1/stats/overview?from=$YEAR-01-01&to=$YEAR-12-31"
  "half-year report, station|$STAFF|/api/v1/reports/half-year?year=$YEAR&half=1"
  "half-year report, district|$DISTRICT|/api/v1/reports/half-year?year=$YEAR&half=2"
  "rankings, volunteers|$STAFF|/api/v1/rankings/volunteers?year=$YEAR"
  "ledger json|$STAFF|/api/v1/ledger?year=$YEAR&format=json"
  "ledger csv (orders)|$STAFF|/api/v1/ledger?year=$YEAR&format=csv&sheet=orders"
  "ledger xlsx|$STAFF|/api/v1/ledger?year=$YEAR&format=xlsx"
)

request() { # token path -> "seconds bytes status"
  local auth=()
  [ -n "$1" ] && auth=(-H "Authorization: Bearer $1")
  curl -sS -o /dev/null "${auth[@]}" -w '%{time_total} %{size_download} %{http_code}\n' "$BASE$2"
}

pg_logging() { # SET: log every statement's duration with the database's name; RESET: undo
  if [ "$1" = SET ]; then
    psql "$PG/postgres" -qAtc "ALTER SYSTEM SET log_min_duration_statement = 0" > /dev/null
    psql "$PG/postgres" -qAtc "ALTER SYSTEM SET log_line_prefix = '%m [%p] db=%d '" > /dev/null
  else
    psql "$PG/postgres" -qAtc "ALTER SYSTEM RESET log_min_duration_statement" > /dev/null
    psql "$PG/postgres" -qAtc "ALTER SYSTEM RESET log_line_prefix" > /dev/null
  fi
  psql "$PG/postgres" -qAtc "SELECT pg_reload_conf()" > /dev/null
  sleep 0.3
}

pg_seconds() { # seconds PostgreSQL spent executing the statements of one request, this database only
  local before after
  before=$(wc -c < "$PG_LOG")
  request "$1" "$2" > /dev/null
  sleep 0.3
  after=$(wc -c < "$PG_LOG")
  tail -c +"$((before + 1))" "$PG_LOG" | head -c "$((after - before))" | grep "db=$DB " |
    grep -oE 'duration: [0-9.]+ ms  (execute|statement)' | awk '{s += $2} END {printf "%.4f", s / 1000}'
}

PG_TIMING=
if [ -z "${BENCH_SQLITE:-}" ] && [ -r "$PG_LOG" ]; then PG_TIMING=1; fi

printf '\n%s, %s orders, %s activities, year %s; seeding took %.1f s; %s runs each\n\n' \
  "$BACKEND" "$ORDERS" "$ACTIVITIES" "$YEAR" "$(python3 -c "print($SEED_END - $SEED_START)")" "$RUNS"
printf '| endpoint | status | bytes | median ms | p90 ms | max ms | × healthz | PostgreSQL ms | × PostgreSQL |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
HEALTH_MEDIAN=
for entry in "${ENDPOINTS[@]}"; do
  IFS='|' read -r name token path <<< "$entry"
  for _ in $(seq 1 "$WARMUP"); do request "$token" "$path" > /dev/null; done
  for _ in $(seq 1 "$RUNS"); do request "$token" "$path"; done > "$WORK/times"
  read -r median p90 max bytes status < <(python3 - "$WORK/times" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
t = sorted(float(r[0]) * 1000 for r in rows)
p90 = t[min(len(t) - 1, int(round(0.9 * (len(t) - 1))))]
print(f"{statistics.median(t):.1f} {p90:.1f} {t[-1]:.1f} {rows[-1][1]} {rows[-1][2]}")
PY
)
  [ -z "$HEALTH_MEDIAN" ] && HEALTH_MEDIAN=$median
  ratio=$(python3 -c "print(f'{$median / max($HEALTH_MEDIAN, 0.001):.1f}')")
  pg_ms="-"; pg_ratio="-"
  if [ -n "$PG_TIMING" ] && [ -n "$token" ]; then
    pg_logging SET
    pg_s=$(pg_seconds "$token" "$path")
    pg_logging RESET
    pg_ms=$(python3 -c "print(f'{$pg_s * 1000:.1f}')")
    pg_ratio=$(python3 -c "print(f'{$median / max($pg_s * 1000, 0.001):.1f}')")
  fi
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
    "$name" "$status" "$bytes" "$median" "$p90" "$max" "$ratio" "$pg_ms" "$pg_ratio"
done
echo
echo "server peak RSS: $(grep VmHWM /proc/$SERVER/status | awk '{print $2, $3}')"
