#!/usr/bin/env bash
# bench/run.sh: the benchmark pairs of issue 15, each measured against its raw
# primitive in the same process, in 5 interleaved rounds (every round runs
# every benchmark once), then the table of median ratios with each target
# (bench/ratios) and, when benchstat is installed, its summary.
# Sets BenchmarkRefresh/postgres against PostgreSQL when AUTHOS_TEST_POSTGRES_URL
# is set. ROUNDS (default 5) changes the number of rounds. Takes about 2
# minutes on a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
OUT=$(mktemp -d "${TMPDIR:-/tmp}/authos-bench.XXXXXX")
trap 'rm -rf "$OUT"' EXIT

# Fast benchmarks run for a fixed time; the two Argon2id ones (about 30 ms
# each) for a fixed count, so that both do the same number of hashes.
FAST='^(BenchmarkMiddleware|BenchmarkMiddlewareCached|BenchmarkRawJWTParse|BenchmarkRefresh|BenchmarkRawRotationTx|BenchmarkGetUserHTTP|BenchmarkBareHandlerHTTP)$'
HASH='^(BenchmarkLogin|BenchmarkRawArgon2id)$'
WANT=(BenchmarkMiddleware BenchmarkMiddlewareCached BenchmarkRawJWTParse BenchmarkLogin BenchmarkRawArgon2id
      BenchmarkRefresh BenchmarkRawRotationTx BenchmarkGetUserHTTP BenchmarkBareHandlerHTTP)

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

have=$(for bin in "${BINS[@]}"; do "$bin" -test.list '^Benchmark' 2>/dev/null || true; done)
for b in "${WANT[@]}"; do
  grep -qx "$b" <<<"$have" || echo "note: $b is not in this tree (yet); its pair is reported MISSING"
done
if [ -z "${AUTHOS_TEST_POSTGRES_URL:-}" ]; then
  echo "note: AUTHOS_TEST_POSTGRES_URL is not set: the postgres sub-benchmarks skip"
fi

echo "== $ROUNDS rounds on $(nproc) cores ($(go env GOVERSION), $(date -u +%Y-%m-%dT%H:%MZ))"
for r in $(seq 1 "$ROUNDS"); do
  echo "-- round $r"
  for i in "${!BINS[@]}"; do
    # Each binary runs in its package's directory, as go test would.
    (cd "${DIRS[$i]}" &&
      "${BINS[$i]}" -test.run '^$' -test.bench "$HASH" -test.benchtime 24x -test.benchmem -test.count 1 &&
      "${BINS[$i]}" -test.run '^$' -test.bench "$FAST" -test.benchtime 300ms -test.benchmem -test.count 1) \
      | tee -a "$OUT/bench.txt" | grep '^Benchmark' || true
  done
done

if command -v benchstat >/dev/null 2>&1; then
  echo "== benchstat"
  benchstat "$OUT/bench.txt" || true
else
  echo "== benchstat not installed (go install golang.org/x/perf/cmd/benchstat@latest); medians computed by bench/ratios"
fi
echo "== ratios (medians of $ROUNDS)"
"$OUT/ratios" "$OUT/bench.txt"
