#!/usr/bin/env bash
# Scale bench (issue 23 §3): the pages a learner uses, on a small database and on one holding
# LEARNERS simulated learners over DAYS days plus one learner at the 40,000-answer import cap, on
# SQLite and on PostgreSQL. Prints, per backend: seeding time, database size, start-up to the
# first response, p99 of the quiz page, the answer flow, /progress and the logged-in paper page
# (wrk, THREADS threads, CONNS connections, 32 ordinary learners in turn), /progress of the
# 40,000-answer learner alone, and the time to download her export; then each p99 as a ratio of
# the small database's, against the issue's targets. Results: bench/RESULTS.md.
#
#   bash bench/scale.sh                       # 10,000 learners × 365 days, both backends
#   LEARNERS=1000 BACKENDS=sqlite bash bench/scale.sh
set -euo pipefail
cd "$(dirname "$0")/.."

LEARNERS=${LEARNERS:-10000}
SMALL=${SMALL:-40}
DAYS=${DAYS:-365}
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
PORT=${PORT:-18280}
BACKENDS=${BACKENDS:-sqlite postgres}
PG_SERVER=${PG_SERVER:-postgres://postgres@127.0.0.1:5432}
CAP=40000
# PostgreSQL needs the key every instance shares; one for this run.
export PAPERDECK_SECRET_KEY=${PAPERDECK_SECRET_KEY:-$(head -c 48 /dev/urandom | base64 -w0)}

command -v wrk >/dev/null || { apt-get -o DPkg::Lock::Timeout=600 update -qq && apt-get -o DPkg::Lock::Timeout=600 install -y -qq wrk >/dev/null; }
echo "== building (release)"
cargo build --release --quiet
BIN=${CARGO_TARGET_DIR:-target}/release/paperdeck
echo "machine: $(nproc) CPUs, $(uname -sr); $(date -u '+%F %H:%M UTC'); load: $(cut -d' ' -f1-3 /proc/loadavg)"

WORK=$(mktemp -d)
PIDS=()
PGDBS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done
  for d in "${PGDBS[@]:-}"; do
    psql "$PG_SERVER/postgres" -qc "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
: > "$WORK/results"

url_of() { # backend name
  if [ "$1" = sqlite ]; then echo "sqlite://$WORK/$2.db"; else echo "$PG_SERVER/pd_scale_$2_$$"; fi
}

size_of_db() { # backend name → MB
  if [ "$1" = sqlite ]; then
    du -cm "$WORK/$2.db"* | tail -1 | cut -f1
  else
    psql "$PG_SERVER/postgres" -tAc "SELECT pg_database_size('pd_scale_$2_$$') / 1048576"
  fi
}

# The learner at the cap: the last simulated learner takes copies of the first one's answers,
# each copy a minute earlier than the one before, up to 40,000 answers in all.
make_heavy() { # url learner
  $BIN export --user sim0001 --database "$1" --out "$WORK/one.json"
  $BIN export --user "$2" --database "$1" --out "$WORK/mine.json"
  python3 - "$WORK/one.json" "$WORK/mine.json" "$WORK/heavy.json" "$CAP" <<'PY'
import json, sys
one, mine, out, cap = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3], int(sys.argv[4])
base, rows, k = one["reviews"], [], 1
room = cap - len(mine["reviews"])
while len(rows) < room:
    for r in base:
        if len(rows) == room:
            break
        c = dict(r)
        c["reviewed_at"] = r["reviewed_at"] - 60 * k
        rows.append(c)
    k += 1
one["reviews"] = rows
one["account"] = mine["account"]
json.dump(one, open(out, "w"))
print(f"{len(rows)} answers added to {len(mine['reviews'])}")
PY
  $BIN import --user "$2" --database "$1" "$WORK/heavy.json" | cut -c1-120
}

login() { # port first last file
  python3 - "$@" <<'PY'
import re, sys, urllib.parse, urllib.request, http.cookiejar
port, first, last, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
base, lines = f"http://127.0.0.1:{port}", []
for i in range(first, last + 1):
    name = f"sim{i:04d}"
    jar = http.cookiejar.CookieJar()
    op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = op.open(base + "/login").read().decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    data = {"csrf": csrf, "username": name, "password": "load-test-password"}
    op.open(base + "/login", urllib.parse.urlencode(data).encode())
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    assert "pd_session" in cookie, name
    lines.append(f"{name}\t{cookie}")
open(out, "w").write("\n".join(lines) + "\n")
PY
}

# run LABEL PATH SCRIPT: appends "LABEL p99_ms req/s" to results.
run() {
  local out; out=$(QUIZ_PATH=$2 wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$3" "http://127.0.0.1:$PORT")
  local rps p99 ms
  rps=$(echo "$out" | awk '/Requests\/sec/ {printf "%d", $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  ms=$(python3 -c "import sys; v=sys.argv[1]; print(round(float(v[:-2])/1000 if v.endswith('us') else float(v[:-2]) if v.endswith('ms') else float(v[:-1])*1000, 2))" "$p99")
  local errors; errors=$(echo "$out" | awk '/Non-2xx or 3xx/ {print $5}')
  echo "$1 $ms $rps" >> "$WORK/results"
  echo "  $1: p99 $ms ms, $rps req/s${errors:+, non-2xx/3xx $errors} (load $(cut -d' ' -f1 /proc/loadavg))"
}

start_server() { # url; sets PD and STARTUP_MS
  local t0 t1
  t0=$(date +%s%N)
  RUST_LOG=warn $BIN serve --addr 127.0.0.1:$PORT --database "$1" >>"$WORK/server.log" 2>&1 &
  PD=$!
  PIDS+=($PD)
  until curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz"; do
    kill -0 $PD 2>/dev/null || { echo "the server stopped:"; tail -3 "$WORK/server.log"; exit 1; }
    sleep 0.002
  done
  t1=$(date +%s%N)
  STARTUP_MS=$(( (t1 - t0) / 1000000 ))
}

measure() { # backend name learners
  local backend=$1 name=$2 n=$3 url; url=$(url_of "$1" "$2")
  [ "$backend" = postgres ] && PGDBS+=("pd_scale_${name}_$$")
  echo "== $backend, $name: $n learners × $DAYS days"
  local t0; t0=$(date +%s)
  $BIN simulate --learners "$n" --days "$DAYS" --database "$url" | tail -1
  local heavy=""
  if [ "$n" -gt "$SMALL" ]; then
    heavy=$(printf "sim%04d" "$n")
    make_heavy "$url" "$heavy"
  fi
  echo "  seeded in $(( $(date +%s) - t0 )) s; database $(size_of_db "$backend" "$name") MB"
  echo "$backend.$name.seed_s $(( $(date +%s) - t0 )) -" >> "$WORK/results"
  echo "$backend.$name.size_mb $(size_of_db "$backend" "$name") -" >> "$WORK/results"
  local starts=()
  for _ in 1 2 3; do
    start_server "$url"
    starts+=("$STARTUP_MS")
    kill $PD; wait $PD 2>/dev/null || true
  done
  echo "  start-up to first response: ${starts[*]} ms"
  echo "$backend.$name.startup_ms $(printf '%s\n' "${starts[@]}" | sort -n | tail -1) -" >> "$WORK/results"
  start_server "$url"
  login $PORT 1 32 "$WORK/cookies.tsv"
  export COOKIES="$WORK/cookies.tsv"
  run "$backend.$name.quiz" "/quiz?mode=practice" bench/quiz.lua
  run "$backend.$name.answer" "" bench/answer.lua
  run "$backend.$name.progress" "/progress" bench/quiz.lua
  run "$backend.$name.paper_in" "/papers/qlora" bench/quiz.lua
  if [ -n "$heavy" ]; then
    login $PORT "$n" "$n" "$WORK/heavy.tsv"
    # bench/quiz.lua gives each wrk thread every other line: one line per thread.
    for _ in $(seq 2 "$THREADS"); do head -1 "$WORK/heavy.tsv" >> "$WORK/heavy.tsv"; done
    COOKIES="$WORK/heavy.tsv" run "$backend.$name.progress_40k" "/progress" bench/quiz.lua
    # Her first line only: the file holds one per wrk thread, and two lines made a cookie header
    # with a line break in it, which the server refused (every export measured 0 KB).
    local cookie; cookie=$(head -1 "$WORK/heavy.tsv" | cut -f2)
    local times=()
    for _ in 1 2 3; do
      times+=("$(curl -s -o "$WORK/export.json" -w '%{time_total}' -H "Cookie: $cookie" "http://127.0.0.1:$PORT/export/paperdeck.json")")
    done
    echo "  export of the 40,000-answer learner: ${times[*]} s, $(du -k "$WORK/export.json" | cut -f1) KB"
    echo "$backend.$name.export_s $(printf '%s\n' "${times[@]}" | sort -n | tail -1) $(du -k "$WORK/export.json" | cut -f1)" >> "$WORK/results"
  fi
  echo "  peak memory $(awk '/VmHWM/ {printf "%d", $2/1024}' /proc/$PD/status) MB"
  kill $PD; wait $PD 2>/dev/null || true
}

for backend in $BACKENDS; do
  if [ "$backend" = postgres ] && ! pg_isready -h 127.0.0.1 -p 5432 -q; then
    echo "no PostgreSQL at $PG_SERVER: skipped"
    continue
  fi
  measure "$backend" small "$SMALL"
  measure "$backend" full "$LEARNERS"
done

echo "== summary (targets, issue 23 §3: every p99 within 1.5× of the small database; /progress p99 < 25 ms, < 50 ms for the 40,000-answer learner; start-up < 1 s)"
python3 - "$WORK/results" <<'PY'
import sys
r, extra = {}, {}
for line in open(sys.argv[1]):
    k, v, x = line.split()
    r[k] = float(v)
    extra[k] = x
def failed(k):
    # A run that got no answer at all (wrk's requests all timed out) has no p99 to compare:
    # it must not read as a fast page. Likewise an export that downloaded nothing.
    return extra.get(k) == "0"
backends = sorted({k.split(".")[0] for k in r})
for b in backends:
    print(f"{b}: seeded in {r.get(b+'.full.seed_s', 0):.0f} s, {r.get(b+'.full.size_mb', 0):.0f} MB "
          f"(small: {r.get(b+'.small.size_mb', 0):.0f} MB); start-up {r.get(b+'.full.startup_ms', 0):.0f} ms "
          f"({'ok' if r.get(b+'.full.startup_ms', 1e9) < 1000 else 'MISSED'})")
    print(f"  {'page':<12} {'small p99':>10} {'full p99':>10} {'ratio':>6}  target")
    for page in ["quiz", "answer", "progress", "paper_in"]:
        s, f = r.get(f"{b}.small.{page}"), r.get(f"{b}.full.{page}")
        if s is None or f is None:
            continue
        if failed(f"{b}.small.{page}") or failed(f"{b}.full.{page}"):
            print(f"  {page:<12} no request answered in one of the runs: FAILED")
            continue
        ratio = f / s if s else float("inf")
        note = ""
        if page == "progress":
            note = " and < 25 ms " + ("ok" if f < 25 else "MISSED")
        print(f"  {page:<12} {s:>8.2f}ms {f:>8.2f}ms {ratio:>6.2f}  ≤ 1.5 {'ok' if ratio <= 1.5 else 'MISSED'}{note}")
    h = r.get(f"{b}.full.progress_40k")
    if h is not None:
        heavy = ("no request answered: FAILED" if failed(f"{b}.full.progress_40k")
                 else f"p99 {h:.2f} ms (< 50 ms {'ok' if h < 50 else 'MISSED'})")
        export = ("downloaded nothing: FAILED" if failed(f"{b}.full.export_s")
                  else f"{r.get(b+'.full.export_s', 0):.2f} s, {extra.get(b+'.full.export_s')} KB")
        print(f"  /progress of the 40,000-answer learner: {heavy}; her export {export}")
PY
