#!/usr/bin/env bash
# Reproduces the server figures of docs/performance.md on this machine:
# seeding rate, read by id (against a bare net/http baseline serving the same
# bytes), durable creates, the vital-signs search and deep paging, and idle
# memory. Everything runs on loopback and stops by itself.
#
#   bash tools/bench/bench.sh                     # SQLite, 10,000 patients
#   PATIENTS=1000 bash tools/bench/bench.sh       # quicker
#   DB=postgres://postgres@127.0.0.1:5432/bench bash tools/bench/bench.sh
#   DB=some.db SKIP_SEED=1 bash tools/bench/bench.sh  # reuse a seeded database
set -euo pipefail
cd "$(dirname "$0")/../.."
PATIENTS="${PATIENTS:-10000}"
DURATION="${DURATION:-15s}"
CONNS="${CONNS:-32}"
ADDR="127.0.0.1:${PORT:-8310}"
work="$(mktemp -d)"
DB="${DB:-$work/bench.db}"
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true' EXIT

go build -o "$work/emp" ./cmd/emp
go build -o "$work/loadgen" ./tools/loadgen
go build -o "$work/bareserve" ./tools/bareserve
emp() { "$work/emp" "$@" --db "$DB" --addr "$ADDR"; }
load() { "$work/loadgen" -c "$CONNS" -d "$DURATION" -warmup 2s "$@"; }

if [ -z "${SKIP_SEED:-}" ]; then
  echo "== seed $PATIENTS patients into ${DB%%\?*}"
  emp seed --patients "$PATIENTS" --seed 1 --date 2026-01-01
fi

echo "== serve"
"$work/emp" serve --db "$DB" --addr "$ADDR" --log-level warn >"$work/serve.log" 2>&1 &
for _ in $(seq 1 100); do curl -fsS "http://$ADDR/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
sleep 2
pid=$(pgrep -f "$work/emp serve" | head -n1)
echo "idle RSS: $(( $(awk '/VmRSS/{print $2}' /proc/$pid/status) / 1024 )) MiB"
TOKEN=$(emp token --scope "user/*.cruds" --ttl 2h)
auth="Authorization: Bearer $TOKEN"
base="http://$ADDR/fhir/r4"

# Ids to read: 2,000 Observations and the patients of 200 vital-signs searches.
curl -fsS -H "$auth" "$base/Observation?_count=1000&_elements=id" | grep -o '"fullUrl":"[^"]*"' | cut -d'"' -f4 >"$work/obs.txt"
curl -fsS -H "$auth" "$base/Observation?_count=1000&_elements=id&_sort=-_lastUpdated" | grep -o '"fullUrl":"[^"]*"' | cut -d'"' -f4 >>"$work/obs.txt"
curl -fsS -H "$auth" "$base/Patient?_count=200&_elements=id" | grep -o '"fullUrl":"[^"]*"' | cut -d'"' -f4 | sed 's#.*/##' >"$work/patients.txt"
sed "s#^#$base/Observation?category=vital-signs\&patient=#" "$work/patients.txt" >"$work/vitals.txt"

echo "== read by id ($CONNS connections)"
load -H "$auth" -urls "$work/obs.txt"
curl -fsS -H "$auth" "$(head -n1 "$work/obs.txt")" >"$work/one.json"
"$work/bareserve" -addr 127.0.0.1:8399 -file "$work/one.json" 2>/dev/null &
sleep 0.5
echo "== bare net/http, same bytes ($CONNS connections)"
load http://127.0.0.1:8399/fhir/r4/Observation/x
kill %2 2>/dev/null || true

echo "== Observation?patient=X&category=vital-signs (1 connection, latency)"
"$work/loadgen" -c 1 -d "$DURATION" -urls "$work/vitals.txt" -H "$auth"

echo "== page 1 and page 100 of all vital signs (_count=10)"
p=$(head -n1 "$work/patients.txt")
url="$base/Observation?category=vital-signs&_count=10"
first="$url"
for _ in $(seq 1 99); do
  url=$(curl -fsS -H "$auth" "$url" | { grep -o '"relation":"next","url":"[^"]*"' || true; } | cut -d'"' -f8 | sed 's/\\u0026/\&/g')
  [ -n "$url" ] || { echo "fewer than 100 pages"; break; }
done
if [ -n "$url" ]; then
  echo "$first" >"$work/page1.txt"; echo "$url" >"$work/page100.txt"
  echo "-- page 1";   "$work/loadgen" -c 1 -d 5s -urls "$work/page1.txt" -H "$auth"
  echo "-- page 100"; "$work/loadgen" -c 1 -d 5s -urls "$work/page100.txt" -H "$auth"
fi

echo "== create Observation ($CONNS connections, durable)"
cat >"$work/obs.json" <<JSON
{"resourceType":"Observation","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},"subject":{"reference":"Patient/$p"},"effectiveDateTime":"2026-01-02T10:00:00Z","valueQuantity":{"value":72,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}
JSON
load -H "$auth" -method POST -body "$work/obs.json" -content-type application/fhir+json "$base/Observation"

# The read tail once more with the server on one core and the load generator
# on the other. Sharing both cores, four busy threads take turns on two, and
# the p99 then measures the operating system's scheduler about as much as
# the server: the bare server's p99 is 5 to 13 times its p50 that way.
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  kill "$pid"; wait "$pid" 2>/dev/null || true
  GOMAXPROCS=1 taskset -c 1 "$work/emp" serve --db "$DB" --addr "$ADDR" --log-level warn >>"$work/serve.log" 2>&1 &
  pinned=$!
  for _ in $(seq 1 100); do curl -fsS "http://$ADDR/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  sleep 2
  echo "== read by id, emp on core 1 and the load generator on core 0 ($CONNS connections)"
  GOMAXPROCS=1 taskset -c 0 "$work/loadgen" -c "$CONNS" -d "$DURATION" -warmup 2s -H "$auth" -urls "$work/obs.txt"
  kill "$pinned"; wait "$pinned" 2>/dev/null || true
  GOMAXPROCS=1 taskset -c 1 "$work/bareserve" -addr 127.0.0.1:8399 -file "$work/one.json" 2>/dev/null &
  sleep 0.5
  echo "== bare net/http, the same two cores apart ($CONNS connections)"
  GOMAXPROCS=1 taskset -c 0 "$work/loadgen" -c "$CONNS" -d "$DURATION" -warmup 2s http://127.0.0.1:8399/fhir/r4/Observation/x
fi
