#!/usr/bin/env bash
# Load benchmark for paperdeck; results and the machine they were measured on: bench/RESULTS.md.
#
# Starts the release binary on a fresh database holding LEARNERS simulated learners with a
# realistic history, then measures with wrk (THREADS threads, CONNS connections, DURATION each,
# loopback only): a paper page, the quiz page of logged-in learners, and the answer flow (a wrk
# Lua script that answers with valid one-time tokens). The same is measured on the yardstick in
# bench/yardstick (actix-web + askama + sqlx on SQLite doing the same work per request), and
# paperdeck's figures are printed as ratios of the yardstick's. Every server it starts, it stops.
set -euo pipefail
cd "$(dirname "$0")/.."

LEARNERS=${LEARNERS:-300}
DAYS=${DAYS:-60}
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
PORT=${PORT:-18080}
YPORT=${YPORT:-18090}

if ! command -v wrk >/dev/null; then
  echo "installing wrk"
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
for tool in curl python3; do command -v $tool >/dev/null || { echo "$tool is needed"; exit 1; }; done

echo "== building (release)"
cargo build --release --quiet
CARGO_TARGET_DIR=target/yardstick cargo build --release --quiet --manifest-path bench/yardstick/Cargo.toml
BIN=target/release/paperdeck
YBIN=target/yardstick/release/yardstick

WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
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

echo "== logging in $LEARNERS learners"
python3 - "$PORT" "$LEARNERS" "$WORK/cookies.tsv" <<'PY'
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
export COOKIES="$WORK/cookies.tsv"

size_of() { curl -s -H "Cookie: $(head -1 "$COOKIES" | cut -f2)" "$1" | wc -c; }
PAPER_SIZE=$(size_of "http://127.0.0.1:$PORT/papers/chinchilla")
QUIZ_SIZE=$(size_of "http://127.0.0.1:$PORT/quiz?mode=practice")
echo "page sizes: paper $PAPER_SIZE bytes, quiz $QUIZ_SIZE bytes"

# run NAME URL [script]: prints "NAME rps p50 p99 extra" to results
run() {
  local name=$1 url=$2 script=${3:-}
  local args=(-t"$THREADS" -c"$CONNS" -d"$DURATION" --latency)
  [ -n "$script" ] && args+=(-s "$script")
  local out; out=$(wrk "${args[@]}" "$url")
  echo "$out" > "$WORK/$name.txt"
  local rps p50 p99 acked
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  acked=$(echo "$out" | awk '/ANSWERS_ACKED/ {print $2}')
  local errors; errors=$(echo "$out" | awk '/Non-2xx or 3xx/ {print $5}')
  echo "$name $rps $p50 $p99 ${acked:--} ${errors:-0}" >> "$WORK/results"
  echo "$name: $rps req/s, p50 $p50, p99 $p99${acked:+, answers acknowledged $acked}${errors:+, non-2xx/3xx $errors}"
}

echo "== paperdeck"
run paper "http://127.0.0.1:$PORT/papers/chinchilla"
run quiz "http://127.0.0.1:$PORT" bench/quiz.lua
grep QUIZ_QUESTIONS "$WORK/quiz.txt" || true
run answer "http://127.0.0.1:$PORT" bench/answer.lua
grep -E "ANSWERS_STALE|OTHER_STATUS" "$WORK/answer.txt" || true
PD_PEAK=$(peak_kb $PD)
kill $PD; wait $PD 2>/dev/null || true
echo "paperdeck peak memory: $((PD_PEAK / 1024)) MB"

echo "== yardstick"
$YBIN 127.0.0.1:$YPORT "sqlite://$WORK/yard.db" >/dev/null & YD=$!
PIDS+=($YD)
wait_up "http://127.0.0.1:$YPORT/read/100"
run y_paper "http://127.0.0.1:$YPORT/read/$PAPER_SIZE"
run y_quiz "http://127.0.0.1:$YPORT/read/$QUIZ_SIZE"
PAGE_SIZE=$QUIZ_SIZE run y_answer "http://127.0.0.1:$YPORT" bench/yardstick_answer.lua
Y_PEAK=$(peak_kb $YD)
kill $YD; wait $YD 2>/dev/null || true
echo "yardstick peak memory: $((Y_PEAK / 1024)) MB"

echo
echo "== summary (target ratios: paper ≥ 1.5, quiz ≥ 0.8, answer ≥ 0.7; p99 < 25 ms; peak < 48 MB; start-up < 200 ms)"
python3 - "$WORK/results" "$PD_PEAK" "${startups[*]}" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    name, rps, p50, p99, acked, errs = line.split()
    rows[name] = (float(rps), p50, p99, acked, errs)
def ms(s):
    for unit, f in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if s.endswith(unit): return float(s[:-len(unit)]) * f
    return float(s)
print(f"{'endpoint':<10} {'req/s':>9} {'p50':>9} {'p99':>9} {'yardstick req/s':>16} {'ratio':>6} {'target':>7}")
for name, target in (("paper", 1.5), ("quiz", 0.8), ("answer", 0.7)):
    r, y = rows[name], rows["y_" + name]
    ratio = r[0] / y[0]
    extra = f"  (answers acknowledged: {r[3]} vs {y[3]})" if name == "answer" else ""
    ok = "ok" if ratio >= target and ms(r[2]) < 25 else "MISSED"
    print(f"{name:<10} {r[0]:>9.0f} {r[1]:>9} {r[2]:>9} {y[0]:>16.0f} {ratio:>6.2f} {target:>6.1f}x {ok}{extra}")
peak = int(sys.argv[2]) / 1024
starts = sorted(int(x) for x in sys.argv[3].split())
print(f"peak memory {peak:.1f} MB ({'ok' if peak < 48 else 'MISSED'}); start-up to first response: median {starts[len(starts)//2]} ms, max {starts[-1]} ms ({'ok' if starts[-1] < 200 else 'MISSED'})")
PY
