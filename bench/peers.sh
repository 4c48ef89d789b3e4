#!/usr/bin/env bash
# Benchmark: trellis proxy against direct, nginx, haproxy and Node proxies in one run (../shared/bench/run-peers.sh),
# then a sidecar's RSS next to a static proxy's (sidecar-memory.ts), then prints each figure with its baseline and ratio.
# Usage: npm run bench   (RUNS=1 DURATION=5 for a quick look; SIDECAR_MEMORY=0 skips the sidecar figure)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PEERS_SCRIPT="${PEERS_SCRIPT:-$ROOT/../shared/bench/run-peers.sh}"
[ -x "$PEERS_SCRIPT" ] || [ -f "$PEERS_SCRIPT" ] || { echo "peer benchmark script not found at $PEERS_SCRIPT (set PEERS_SCRIPT)" >&2; exit 1; }
OUT_DIR="${OUT_DIR:-/tmp/trellis-bench/$(date -u +%Y%m%dT%H%M%SZ)}"
export OUT_DIR
CONCURRENCY="${CONCURRENCY:-1}"
CANDIDATE_CMD="node $ROOT/dist/bench/bench-config.js > /tmp/trellis-bench.yaml && exec node $ROOT/dist/src/cli/main.js proxy -c /tmp/trellis-bench.yaml --concurrency $CONCURRENCY" \
CANDIDATE_CWD="$ROOT" CANDIDATE_NAME=trellis CANDIDATE_PORT="${CANDIDATE_PORT:-18200}" \
PEERS="${PEERS:-direct nginx haproxy node-undici}" \
  bash "$PEERS_SCRIPT"
if [ "${SIDECAR_MEMORY:-1}" != 0 ]; then
  node "$ROOT/dist/bench/sidecar-memory.js" --rate "${RATE:-1000}" --duration "${DURATION:-10}" --json "$OUT_DIR/sidecar-memory.json"
fi
node "$ROOT/dist/bench/report.js" "$OUT_DIR/summary.json"
