#!/usr/bin/env bash
# Reproduces the several-nodes table of docs/operations.md on this machine:
# read by id, the vital-signs search and durable creates against one node,
# two nodes, and two nodes with a streaming replica, with the CPU each part
# used (the emp nodes, the primary, the standby) so that the rates can be
# read per CPU-second on a shared machine. It then prints the storage
# figures of the growth model: bytes per table per seeded patient and bytes
# per audit row.
#
# It makes its own PostgreSQL primary (initdb) and standby (pg_basebackup)
# on free ports in a temporary directory, run as the postgres user when
# started as root, and removes them at the end.
#
#   bash tools/bench/nodes.sh                    # 2,000 patients, 10 s per figure
#   PATIENTS=500 DURATION=5s bash tools/bench/nodes.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
PATIENTS="${PATIENTS:-2000}"
DURATION="${DURATION:-10s}"
CONNS="${CONNS:-16}"
# One caller may run a quarter of a node's pool of searches at once and queue
# as many (store.SearchShares); the search load stays within that on one node.
SEARCH_CONNS="${SEARCH_CONNS:-8}"
PG_BIN="${PG_BIN:-$(pg_config --bindir)}"
work="$(mktemp -d)"
chmod 711 "$work"
pgdir="$work/pg"
mkdir "$pgdir"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$pgdir"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PPORT=$(free_port); SPORT=$(free_port)
pgopts="-c listen_addresses=127.0.0.1 -k $pgdir -c max_connections=120 -c shared_preload_libraries=pg_stat_statements"
cleanup() {
  kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true
  for d in standby primary; do [ -f "$pgdir/$d/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$pgdir/$d" -m immediate -w stop >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/emp" ./cmd/emp
go build -o "$work/loadgen" ./tools/loadgen
chmod 755 "$work/emp"

echo "== primary on $PPORT"
as_pg "$PG_BIN/initdb" -D "$pgdir/primary" -U postgres --auth=trust -E UTF8 >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$pgdir/primary" -l "$pgdir/primary.log" -w -o "-p $PPORT $pgopts" start >/dev/null
PRIMARY="postgres://postgres@127.0.0.1:$PPORT/postgres?sslmode=disable"
as_pg "$PG_BIN/psql" -q -h 127.0.0.1 -p "$PPORT" -U postgres -c "CREATE EXTENSION pg_stat_statements" postgres

echo "== seed $PATIENTS patients"
seed_start=$(date +%s)
"$work/emp" seed --db "$PRIMARY" --patients "$PATIENTS" --seed 1 --date 2026-01-01 >/dev/null
echo "seeded in $(( $(date +%s) - seed_start )) s"
as_pg "$PG_BIN/psql" -q -h 127.0.0.1 -p "$PPORT" -U postgres -c "VACUUM ANALYZE" postgres

echo "== standby on $SPORT (pg_basebackup -R)"
as_pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PPORT" -U postgres -D "$pgdir/standby" -R -X stream -c fast
as_pg "$PG_BIN/pg_ctl" -D "$pgdir/standby" -l "$pgdir/standby.log" -w -o "-p $SPORT $pgopts" start >/dev/null
STANDBY="postgres://postgres@127.0.0.1:$SPORT/postgres?sslmode=disable"

BASE="http://127.0.0.1:8321"
TOKEN=$("$work/emp" token --db "$PRIMARY" --base-url "$BASE" --scope "user/*.cruds" --ttl 2h)
auth="Authorization: Bearer $TOKEN"

# CPU ticks used so far by processes and, for a postmaster, by its
# children (live ones, and those it has reaped).
ticks() {
  local t=0 p
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] || continue
    t=$(( t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{print $12+$13+$14+$15}') ))
  done
  echo "$t"
}
cluster_pids() { local pm; pm=$(head -n1 "$pgdir/$1/postmaster.pid"); echo "$pm $(pgrep -P "$pm" | tr '\n' ' ')"; }
HZ=$(getconf CLK_TCK)

node_pids=()
start_nodes() { # count, extra flags…
  local n=$1; shift
  node_pids=()
  for i in $(seq 1 "$n"); do
    "$work/emp" serve --db "$PRIMARY" --addr "127.0.0.1:832$i" --base-url "$BASE" --log-level warn \
      --export-dir "$work/exports$i" --audit-spool "$work/spool$i" "$@" >"$work/node$i.log" 2>&1 &
    node_pids+=($!)
  done
  for i in $(seq 1 "$n"); do
    for _ in $(seq 1 150); do curl -fsS "http://127.0.0.1:832$i/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  done
}
stop_nodes() { kill "${node_pids[@]}" 2>/dev/null || true; wait "${node_pids[@]}" 2>/dev/null || true; }

# URL lists spread round-robin over the nodes, as a proxy in front would.
spread() { # file, nodes
  local n=$2
  awk -v n="$n" '{ i = (NR-1) % n + 1; sub(/127\.0\.0\.1:832[0-9]/, "127.0.0.1:832" i); print }' "$1"
}

start_nodes 1
curl -fsS -H "$auth" "http://127.0.0.1:8321/fhir/r4/Observation?_count=1000&_elements=id" | grep -o '"fullUrl":"[^"]*"' | cut -d'"' -f4 >"$work/obs.txt"
curl -fsS -H "$auth" "http://127.0.0.1:8321/fhir/r4/Patient?_count=200&_elements=id" | grep -o '"fullUrl":"[^"]*"' | cut -d'"' -f4 | sed 's#.*/##' >"$work/patients.txt"
sed 's#^#http://127.0.0.1:8321/fhir/r4/Observation?category=vital-signs\&patient=#' "$work/patients.txt" >"$work/vitals.txt"
p=$(head -n1 "$work/patients.txt")
cat >"$work/obs.json" <<JSON
{"resourceType":"Observation","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},"subject":{"reference":"Patient/$p"},"effectiveDateTime":"2026-01-02T10:00:00Z","valueQuantity":{"value":72,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}
JSON
for i in 1 2; do echo "http://127.0.0.1:832$i/fhir/r4/Observation"; done >"$work/create.txt"
stop_nodes

measure() { # config, op, connections, loadgen args…
  local config=$1 op=$2 c=$3; shift 3
  "$work/loadgen" -c "$c" -d 2s "$@" >/dev/null # warm-up, not counted
  local e0 p0 s0 out e1 p1 s1
  e0=$(ticks "${node_pids[@]}"); p0=$(ticks $(cluster_pids primary)); s0=$(ticks $(cluster_pids standby))
  out=$("$work/loadgen" -c "$c" -d "$DURATION" -json "$@")
  e1=$(ticks "${node_pids[@]}"); p1=$(ticks $(cluster_pids primary)); s1=$(ticks $(cluster_pids standby))
  local req rps errors
  field() { echo "$out" | grep -o "\"$1\": *[0-9.]*" | head -n1 | grep -o '[0-9.]*$'; }
  req=$(field requests); errors=$(field errors); rps=$(field requests_per_second)
  awk -v c="$config" -v o="$op" -v r="$req" -v x="$errors" -v rps="$rps" -v e=$((e1-e0)) -v p=$((p1-p0)) -v s=$((s1-s0)) -v hz="$HZ" 'BEGIN {
    cpu = (e + p + s) / hz
    printf "| %s | %s | %.0f | %d | %.1f | %.1f | %.1f | %.0f | %.2f | %.2f |\n", c, o, rps, x, e/hz, p/hz, s/hz, (cpu > 0 ? r/cpu : 0), (r > 0 ? 1000*p/hz/r : 0), (r > 0 ? 1000*s/hz/r : 0)
  }'
}

run_config() { # label, nodes, extra serve flags…
  local label=$1 n=$2; shift 2
  start_nodes "$n" "$@"
  spread "$work/obs.txt" "$n" >"$work/obs.run"
  spread "$work/vitals.txt" "$n" >"$work/vitals.run"
  head -n "$n" "$work/create.txt" >"$work/create.run"
  measure "$label" "read by id" "$CONNS" -H "$auth" -urls "$work/obs.run"
  measure "$label" "vital-signs search" "$SEARCH_CONNS" -H "$auth" -urls "$work/vitals.run"
  measure "$label" "create" "$CONNS" -H "$auth" -body "$work/obs.json" -content-type application/fhir+json -urls "$work/create.run"
  stop_nodes
}

echo
echo "| configuration | operation | req/s | errors | emp CPU s | primary CPU s | standby CPU s | req per CPU-s | primary CPU ms/op | standby CPU ms/op |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
run_config "one node" 1
run_config "two nodes" 2
run_config "two nodes + replica" 2 --db-replica "$STANDBY"

echo
echo "== storage after the run (primary)"
as_pg "$PG_BIN/psql" -h 127.0.0.1 -p "$PPORT" -U postgres -At -F ' ' postgres <<SQL
SELECT 'patients', COUNT(*) FROM resources WHERE type = 'Patient' AND deleted = 0;
SELECT 'resources', COUNT(*) FROM resources;
SELECT 'database_bytes', pg_database_size('postgres');
SELECT 'table', c.relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 3 DESC LIMIT 20;
SELECT 'audit_rows', COUNT(*) FROM audit_log;
SELECT 'audit_bytes_per_row', pg_total_relation_size('audit_log') / GREATEST(COUNT(*), 1) FROM audit_log;
SQL
