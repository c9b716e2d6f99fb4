#!/usr/bin/env bash
# Load benchmark for paperdeck; results and the machine they were measured on: bench/RESULTS.md.
#
# Starts the release binary on a fresh database holding LEARNERS simulated learners with a
# realistic history, then measures with wrk (THREADS threads, CONNS connections, DURATION each,
# loopback only): a paper page logged out and logged in, the quiz page of logged-in learners, and
# the answer flow (a wrk Lua script that answers with valid one-time tokens). The same is
# measured on the yardstick in bench/yardstick (actix-web + askama + sqlx on SQLite doing the
# same work per request), and paperdeck's figures are printed as ratios of the yardstick's. Then
# the same runs on PostgreSQL (when a server answers at PG_SERVER): one instance, two instances
# sharing the same load (two wrk processes, each with half the threads, connections and
# learners, one per instance; their req/s added), and the yardstick on the same PostgreSQL
# server, so that the PostgreSQL figures are ratios too. Each figure is printed with the load
# average when its run began (the machine may be shared). Every server it starts, it stops; the
# PostgreSQL database it creates, it drops.
set -euo pipefail
cd "$(dirname "$0")/.."

LEARNERS=${LEARNERS:-300}
DAYS=${DAYS:-60}
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
PORT=${PORT:-18080}
YPORT=${YPORT:-18090}
PG_SERVER=${PG_SERVER:-postgres://postgres@127.0.0.1:5432}
# YARDSTICK=0 skips the yardstick (its build and its runs), e.g. to compare only the backends.
YARDSTICK=${YARDSTICK:-1}
PGDB=pd_bench_$$

if ! command -v wrk >/dev/null; then
  echo "installing wrk"
  apt-get -o DPkg::Lock::Timeout=600 update -qq && apt-get -o DPkg::Lock::Timeout=600 install -y -qq wrk >/dev/null
fi
for tool in curl python3; do command -v $tool >/dev/null || { echo "$tool is needed"; exit 1; }; done

echo "== building (release)"
TARGET=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet
[ "$YARDSTICK" = 0 ] || CARGO_TARGET_DIR=$TARGET/yardstick cargo build --release --quiet --manifest-path bench/yardstick/Cargo.toml
BIN=$TARGET/release/paperdeck
YBIN=$TARGET/yardstick/release/yardstick
echo "machine: $(nproc) CPUs, $(uname -sr); $(date -u '+%F %H:%M UTC'); load: $(cut -d' ' -f1-3 /proc/loadavg)"

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
  [ -z "${PG_MADE:-}" ] || psql "$PG_SERVER/postgres" -qc "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

wait_up() { # url, timeout in s
  local deadline=$((SECONDS + ${2:-20}))
  until curl -sf -o /dev/null "$1"; do
    [ $SECONDS -lt $deadline ] || { echo "$1 did not come up"; exit 1; }
    sleep 0.01
  done
}

peak_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

echo "== start-up to first response on a fresh database"
startups=()
for i in 1 2 3 4 5; do
  rm -f "$WORK/fresh.db"*
  t0=$(date +%s%N)
  RUST_LOG=warn $BIN serve --addr 127.0.0.1:$PORT --database "sqlite://$WORK/fresh.db" & pid=$!
  until curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz"; do sleep 0.002; done
  t1=$(date +%s%N)
  kill $pid; wait $pid 2>/dev/null || true
  startups+=($(( (t1 - t0) / 1000000 )))
done
echo "start-up ms: ${startups[*]}"

echo "== seeding $LEARNERS learners × $DAYS days"
t0=$(date +%s)
$BIN simulate --learners "$LEARNERS" --days "$DAYS" --database "sqlite://$WORK/load.db" | tail -1
echo "seeded in $(( $(date +%s) - t0 )) s"

RUST_LOG=warn $BIN serve --addr 127.0.0.1:$PORT --database "sqlite://$WORK/load.db" & PD=$!
PIDS+=($PD)
wait_up "http://127.0.0.1:$PORT/healthz"

login_all() { # port, cookie file
python3 - "$1" "$LEARNERS" "$2" <<'PY'
import re, sys, urllib.parse, urllib.request, http.cookiejar, concurrent.futures
port, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
base = f"http://127.0.0.1:{port}"
def login(i):
    name = f"sim{i:04d}"
    jar = http.cookiejar.CookieJar()
    op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = op.open(base + "/login").read().decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"csrf": csrf, "username": name, "password": "load-test-password"}).encode()
    op.open(base + "/login", data)
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    assert "pd_session" in cookie, name
    return f"{name}\t{cookie}"
with concurrent.futures.ThreadPoolExecutor(4) as ex:
    lines = list(ex.map(login, range(1, n + 1)))
open(out, "w").write("\n".join(lines) + "\n")
print(f"{len(lines)} sessions")
PY
}
echo "== logging in $LEARNERS learners"
login_all "$PORT" "$WORK/cookies.tsv"
export COOKIES="$WORK/cookies.tsv"

size_of() { curl -s -H "Cookie: $(head -1 "$COOKIES" | cut -f2)" "$1" | wc -c; }
PAPER_SIZE=$(curl -s "http://127.0.0.1:$PORT/papers/chinchilla" | wc -c)
PAPER_IN_SIZE=$(size_of "http://127.0.0.1:$PORT/papers/qlora")
QUIZ_SIZE=$(size_of "http://127.0.0.1:$PORT/quiz?mode=practice")
echo "page sizes: paper $PAPER_SIZE bytes (logged out), $PAPER_IN_SIZE (logged in, QLoRA), quiz $QUIZ_SIZE bytes"
# The logged-in paper page: the quiz script's rotation of learners, on another path.
export PAPER_IN=/papers/qlora

# run NAME URL [script]: prints "NAME rps p50 p99 extra" to results
run() {
  local name=$1 url=$2 script=${3:-}
  local args=(-t"$THREADS" -c"$CONNS" -d"$DURATION" --latency)
  [ -n "$script" ] && args+=(-s "$script")
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  local out; out=$(wrk "${args[@]}" "$url")
  echo "$out" > "$WORK/$name.txt"
  local rps p50 p99 acked
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  acked=$(echo "$out" | awk '/ANSWERS_ACKED/ {print $2}')
  local errors; errors=$(echo "$out" | awk '/Non-2xx or 3xx/ {print $5}')
  echo "$name $rps $p50 $p99 ${acked:--} ${errors:-0} $load" >> "$WORK/results"
  echo "$name: $rps req/s, p50 $p50, p99 $p99${acked:+, answers acknowledged $acked}${errors:+, non-2xx/3xx $errors} (load $load)"
  no_answers "$name" "$script" "${acked:-0}"
}

# An answer run that acknowledged nothing measured page reads only: the script no longer finds
# the question form (the page changed). Stop rather than print a misleading figure.
no_answers() { # name script acked
  if [[ "$2" == *answer.lua ]] && [[ "$3" == 0 || "$3" == - ]]; then
    echo "$1: no answer was acknowledged; bench/answer.lua no longer matches the quiz page" >&2
    exit 1
  fi
}

echo "== paperdeck"
run paper "http://127.0.0.1:$PORT/papers/chinchilla"
QUIZ_PATH=$PAPER_IN run paper_in "http://127.0.0.1:$PORT" bench/quiz.lua
run quiz "http://127.0.0.1:$PORT" bench/quiz.lua
grep QUIZ_QUESTIONS "$WORK/quiz.txt" || true
run answer "http://127.0.0.1:$PORT" bench/answer.lua
grep -E "ANSWERS_STALE|OTHER_STATUS" "$WORK/answer.txt" || true
PD_PEAK=$(peak_kb $PD)
kill $PD; wait $PD 2>/dev/null || true
echo "paperdeck peak memory: $((PD_PEAK / 1024)) MB"

if [ "$YARDSTICK" != 0 ]; then
echo "== yardstick"
$YBIN 127.0.0.1:$YPORT "sqlite://$WORK/yard.db" >/dev/null & YD=$!
PIDS+=($YD)
wait_up "http://127.0.0.1:$YPORT/read/100"
run y_paper "http://127.0.0.1:$YPORT/read/$PAPER_SIZE"
run y_paper_in "http://127.0.0.1:$YPORT/read/$PAPER_IN_SIZE"
run y_quiz "http://127.0.0.1:$YPORT/read/$QUIZ_SIZE"
PAGE_SIZE=$QUIZ_SIZE run y_answer "http://127.0.0.1:$YPORT" bench/yardstick_answer.lua
Y_PEAK=$(peak_kb $YD)
kill $YD; wait $YD 2>/dev/null || true
echo "yardstick peak memory: $((Y_PEAK / 1024)) MB"
fi

# run2 NAME PATH_OR_URL [script]: two wrk processes at once, one per PostgreSQL instance (PORT2,
# PORT3), each with half the threads and connections and its own half of the learners.
run2() {
  local name=$1 path=$2 script=${3:-}
  local t=$((THREADS / 2)); [ $t -ge 1 ] || t=1
  local args=(-t"$t" -c"$((CONNS / 2))" -d"$DURATION" --latency)
  [ -n "$script" ] && args+=(-s "$script")
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  COOKIES="$WORK/pg_a.tsv" wrk "${args[@]}" "http://127.0.0.1:$PORT2$path" > "$WORK/${name}_a.txt" &
  local w1=$!
  COOKIES="$WORK/pg_b.tsv" wrk "${args[@]}" "http://127.0.0.1:$PORT3$path" > "$WORK/${name}_b.txt"
  wait $w1
  python3 - "$name" "$WORK/${name}_a.txt" "$WORK/${name}_b.txt" "$load" >> "$WORK/results" <<'PY'
import sys, re
def ms(s):
    for unit, f in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if s.endswith(unit): return float(s[:-len(unit)]) * f
    return float(s)
rps, p50, p99, acked, errs = 0.0, [], [], 0, 0
for path in sys.argv[2:4]:
    t = open(path).read()
    rps += float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    p50.append(ms(re.search(r"^\s+50%\s+(\S+)", t, re.M).group(1)))
    p99.append(ms(re.search(r"^\s+99%\s+(\S+)", t, re.M).group(1)))
    m = re.search(r"ANSWERS_ACKED\s+(\d+)", t); acked += int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", t); errs += int(m.group(1)) if m else 0
# The slower of the two instances' percentiles: a conservative figure for the pair.
print(f"{sys.argv[1]} {rps:.2f} {max(p50):.2f}ms {max(p99):.2f}ms {acked if acked else '-'} {errs} {sys.argv[4]}")
PY
  tail -1 "$WORK/results" | awk '{print $1": "$2" req/s, p50 "$3", p99 "$4", answers acknowledged "$5", non-2xx/3xx "$6" (load "$7")"}'
  no_answers "$1" "${3:-}" "$(tail -1 "$WORK/results" | awk '{print $5}')"
}

PG_PEAK1=0; PG_PEAK2=0; PG_PEAK3=0
if command -v pg_isready >/dev/null && pg_isready -h 127.0.0.1 -q && command -v psql >/dev/null; then
  echo "== PostgreSQL: seeding $LEARNERS learners × $DAYS days into $PGDB"
  psql "$PG_SERVER/postgres" -qc "CREATE DATABASE $PGDB"
  PG_MADE=1
  PGURL="$PG_SERVER/$PGDB"
  $BIN simulate --learners "$LEARNERS" --days "$DAYS" --database "$PGURL" | tail -1
  export PAPERDECK_SECRET_KEY="bench key: the same on every instance, 32+ bytes long"
  PORT2=$((PORT + 1)); PORT3=$((PORT + 2))
  RUST_LOG=warn $BIN serve --addr 127.0.0.1:$PORT2 --database "$PGURL" & PG1=$!
  PIDS+=($PG1)
  wait_up "http://127.0.0.1:$PORT2/healthz"
  login_all "$PORT2" "$WORK/pg.tsv"
  awk 'NR % 2 == 1' "$WORK/pg.tsv" > "$WORK/pg_a.tsv"
  awk 'NR % 2 == 0' "$WORK/pg.tsv" > "$WORK/pg_b.tsv"
  echo "== PostgreSQL, one instance"
  COOKIES="$WORK/pg.tsv" run pg1_paper "http://127.0.0.1:$PORT2/papers/chinchilla"
  COOKIES="$WORK/pg.tsv" QUIZ_PATH=$PAPER_IN run pg1_paper_in "http://127.0.0.1:$PORT2" bench/quiz.lua
  COOKIES="$WORK/pg.tsv" run pg1_quiz "http://127.0.0.1:$PORT2" bench/quiz.lua
  COOKIES="$WORK/pg.tsv" run pg1_answer "http://127.0.0.1:$PORT2" bench/answer.lua
  grep -E "ANSWERS_STALE|OTHER_STATUS" "$WORK/pg1_answer.txt" || true
  PG_PEAK1=$(peak_kb $PG1)
  echo "== PostgreSQL, two instances"
  RUST_LOG=warn $BIN serve --addr 127.0.0.1:$PORT3 --database "$PGURL" & PG2=$!
  PIDS+=($PG2)
  wait_up "http://127.0.0.1:$PORT3/healthz"
  run2 pg2_paper /papers/chinchilla
  QUIZ_PATH=$PAPER_IN run2 pg2_paper_in "" bench/quiz.lua
  run2 pg2_quiz "" bench/quiz.lua
  run2 pg2_answer "" bench/answer.lua
  grep -hE "ANSWERS_STALE|OTHER_STATUS" "$WORK"/pg2_answer_*.txt || true
  PG_PEAK2=$(peak_kb $PG1); PG_PEAK3=$(peak_kb $PG2)
  kill $PG1 $PG2; wait $PG1 $PG2 2>/dev/null || true
  echo "PostgreSQL instances' peak memory: $((PG_PEAK1 / 1024)) MB alone; $((PG_PEAK2 / 1024)) and $((PG_PEAK3 / 1024)) MB as a pair"
  if [ "$YARDSTICK" != 0 ]; then
    echo "== yardstick on PostgreSQL (tables items and log in $PGDB)"
    $YBIN 127.0.0.1:$YPORT "$PGURL" >/dev/null & YPG=$!
    PIDS+=($YPG)
    wait_up "http://127.0.0.1:$YPORT/read/100" 60
    run y_pg_paper "http://127.0.0.1:$YPORT/read/$PAPER_SIZE"
    run y_pg_paper_in "http://127.0.0.1:$YPORT/read/$PAPER_IN_SIZE"
    run y_pg_quiz "http://127.0.0.1:$YPORT/read/$QUIZ_SIZE"
    PAGE_SIZE=$QUIZ_SIZE run y_pg_answer "http://127.0.0.1:$YPORT" bench/yardstick_answer.lua
    kill $YPG; wait $YPG 2>/dev/null || true
  fi
else
  echo "== PostgreSQL: no server at 127.0.0.1:5432, skipped"
fi

echo
echo "== summary (targets, issue 23: SQLite paper logged out ≥ 3, logged in ≥ 1.5, quiz ≥ 2, answer ≥ 0.7; PostgreSQL quiz ≥ 0.8, answer ≥ 0.5 of its own yardstick; p99 < 25 ms; peak < 64 MB)"
python3 - "$WORK/results" "$PD_PEAK" "${startups[*]}" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    name, rps, p50, p99, acked, errs, load = line.split()
    rows[name] = (float(rps), p50, p99, acked, errs, load)
def ms(s):
    for unit, f in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if s.endswith(unit): return float(s[:-len(unit)]) * f
    return float(s)
def table(title, prefix, yprefix, targets):
    print(title)
    print(f"{'endpoint':<10} {'req/s':>9} {'p50':>9} {'p99':>9} {'load':>6} {'yardstick req/s':>16} {'load':>6} {'ratio':>6} {'target':>7}")
    for name, target in targets:
        r, y = rows.get(prefix + name), rows.get(yprefix + name)
        if not r or not y:
            continue
        ratio = r[0] / y[0]
        extra = f"  (answers acknowledged: {r[3]} vs {y[3]})" if name == "answer" else ""
        if target is None:
            ok, shown = "", "-"
        else:
            ok, shown = ("ok" if ratio >= target and ms(r[2]) < 25 else "MISSED"), f"{target:.1f}x"
        print(f"{name:<10} {r[0]:>9.0f} {r[1]:>9} {r[2]:>9} {r[5]:>6} {y[0]:>16.0f} {y[5]:>6} {ratio:>6.2f} {shown:>7} {ok}{extra}")
table("SQLite (one instance) against the SQLite yardstick", "", "y_",
      (("paper", 3.0), ("paper_in", 1.5), ("quiz", 2.0), ("answer", 0.7)))
print()
table("PostgreSQL, one instance, against the PostgreSQL yardstick", "pg1_", "y_pg_",
      (("paper", None), ("paper_in", None), ("quiz", 0.8), ("answer", 0.5)))
peak = int(sys.argv[2]) / 1024
starts = sorted(int(x) for x in sys.argv[3].split())
print()
print(f"{'endpoint':<10} {'SQLite req/s':>13} {'p50':>9} {'p99':>9} {'PG 1 inst':>10} {'p50':>9} {'p99':>9} {'PG 2 inst':>10} {'p50':>9} {'p99':>9}")
for name in ("paper", "paper_in", "quiz", "answer"):
    cells = [rows.get(name)] + [rows.get(f"pg{i}_{name}") for i in (1, 2)]
    text = " ".join(f"{c[0]:>10.0f} {c[1]:>9} {c[2]:>9}" if c else f"{'-':>10} {'-':>9} {'-':>9}" for c in cells)
    print(f"{name:<10}    {text}")
print(f"peak memory {peak:.1f} MB ({'ok' if peak < 64 else 'MISSED'}); start-up to first response: median {starts[len(starts)//2]} ms, max {starts[-1]} ms ({'ok' if starts[-1] < 1000 else 'MISSED'})")
PY
