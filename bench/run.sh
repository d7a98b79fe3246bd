#!/usr/bin/env bash
# bench/run.sh: the benchmark pairs of issue 15, each measured against its raw
# primitive in 5 interleaved rounds (every round runs every benchmark once,
# each in a process of its own, a pair's two back to back, the raw primitive
# first in every other round so that neither side always runs on the
# machine's state the other left), then the table of median ratios with
# each target (bench/ratios) and, when benchstat is installed, its summary.
# Sets BenchmarkRefresh/postgres against PostgreSQL when AUTHOS_TEST_POSTGRES_URL
# is set. ROUNDS (default 5) changes the number of rounds. Takes about 2
# minutes on a 2-core machine. A run that exits non-zero or prints
# "--- FAIL" or "panic:" has the end of its output shown, its pair is FAILED
# in the table, and the script exits 1 at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
OUT=$(mktemp -d "${TMPDIR:-/tmp}/authos-bench.XXXXXX")
FAILED=() # the failed runs, whose output is then kept in $OUT
trap '(( ${#FAILED[@]} > 0 )) || rm -rf "$OUT"' EXIT

# The pairs, measured benchmark then raw primitive (BenchmarkMiddlewareCached
# shares BenchmarkMiddleware's primitive and runs after the pair). Fast
# benchmarks run for a fixed time; the two Argon2id ones (about 30 ms each)
# for a fixed count, so that both do the same number of hashes.
PAIRS=("BenchmarkMiddleware BenchmarkRawJWTParse" "BenchmarkMiddlewareCached"
       "BenchmarkLogin BenchmarkRawArgon2id" "BenchmarkRefresh BenchmarkRawRotationTx"
       "BenchmarkGetUserHTTP BenchmarkBareHandlerHTTP")
FASTTIME=${FASTTIME:-1s}
HASHCOUNT=${HASHCOUNT:-40x}
WANT=($(printf '%s ' "${PAIRS[@]}"))

# The packages holding the pairs: the root (the middleware pair) and
# internal/hotpathtest (those on a SQL store, kept out of the root so that
# hosts need no SQL drivers in their go.sum).
PKGS=(. ./internal/hotpathtest)
BINS=() DIRS=()
echo "== building the test binaries of ${PKGS[*]}"
for p in "${PKGS[@]}"; do
  [ -d "$p" ] || { echo "note: package $p is not in this tree"; continue; }
  bin="$OUT/pkg${#BINS[@]}.test"
  go test -c -o "$bin" "$p"
  if [ -x "$bin" ]; then BINS+=("$bin"); DIRS+=("$(cd "$p" && pwd)"); fi
done
go build -o "$OUT/ratios" ./bench/ratios

# BIN[name] is the index in BINS of the binary holding benchmark name.
declare -A BIN
for i in "${!BINS[@]}"; do
  for b in $("${BINS[$i]}" -test.list '^Benchmark' 2>/dev/null || true); do BIN[$b]=$i; done
done
for b in "${WANT[@]}"; do
  [ -n "${BIN[$b]:-}" ] || echo "note: $b is not in this tree (yet); its pair is reported MISSING"
done

# bench NAME runs benchmark NAME once, in its package's directory as go test
# would, keeping its output in a file of its own and appending it to the
# results (verbose, so that a skip shows with its reason). A failed run (a
# non-zero exit, "--- FAIL", "panic:") has the end of its output shown and,
# unless go test named the failure itself, a line "--- FAIL: NAME" added to
# the results for bench/ratios.
bench() {
  local i=${BIN[$1]:-}
  [ -n "$i" ] || return 0
  local t=$FASTTIME
  case $1 in BenchmarkLogin|BenchmarkRawArgon2id) t=$HASHCOUNT ;; esac
  local log="$OUT/run-$r-$1.txt" rc=0
  (cd "${DIRS[$i]}" && "${BINS[$i]}" -test.run '^$' -test.bench "^$1\$" -test.benchtime "$t" -test.benchmem -test.count 1 -test.v) \
    >"$log" 2>&1 || rc=$?
  cat "$log" >>"$OUT/bench.txt"
  grep -E '^Benchmark[^[:space:]]+[[:space:]]+[0-9]' "$log" || true
  if (( rc != 0 )) || grep -qE '^[[:space:]]*--- FAIL|^panic:' "$log"; then
    echo "!! $1 failed in round $r (exit $rc); the end of its output (all of it in $log):"
    if [ -s "$log" ]; then tail -n 25 "$log" | sed 's/^/   | /'; else echo "   (no output)"; fi
    grep -qE '^[[:space:]]*--- FAIL' "$log" || echo "--- FAIL: $1 (bench/run.sh: exit $rc)" >>"$OUT/bench.txt"
    FAILED+=("$1 (round $r)")
  fi
}
if [ -z "${AUTHOS_TEST_POSTGRES_URL:-}" ]; then
  echo "note: AUTHOS_TEST_POSTGRES_URL is not set: the postgres sub-benchmarks skip"
fi

echo "== $ROUNDS rounds on $(nproc) cores ($(go env GOVERSION), $(date -u +%Y-%m-%dT%H:%MZ))"
for r in $(seq 1 "$ROUNDS"); do
  echo "-- round $r"
  for pair in "${PAIRS[@]}"; do
    read -r -a names <<<"$pair"
    if (( r % 2 == 0 && ${#names[@]} == 2 )); then names=("${names[1]}" "${names[0]}"); fi
    for b in "${names[@]}"; do bench "$b"; done
  done
done

if command -v benchstat >/dev/null 2>&1; then
  echo "== benchstat"
  benchstat "$OUT/bench.txt" || true
else
  echo "== benchstat not installed (go install golang.org/x/perf/cmd/benchstat@latest); medians computed by bench/ratios"
fi
echo "== ratios (medians of $ROUNDS)"
status=0
"$OUT/ratios" "$OUT/bench.txt" || status=$?
if (( ${#FAILED[@]} > 0 )); then
  echo "== failed runs: ${FAILED[*]}"
  status=1
fi
exit "$status"
