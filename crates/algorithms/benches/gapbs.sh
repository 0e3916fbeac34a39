#!/usr/bin/env bash
# Our graph kernels against the GAP Benchmark Suite (GAPBS), side by side on identical graphs.
#
# GAPBS is not part of this repository and this script downloads nothing. Point GAPBS_DIR at a
# GAPBS source tree (https://github.com/sbeamer/gapbs), e.g.
#   git clone https://github.com/sbeamer/gapbs /tmp/gapbs
#   GAPBS_DIR=/tmp/gapbs crates/algorithms/benches/gapbs.sh            # defaults: scale 20, degree 10
#   GAPBS_DIR=/tmp/gapbs crates/algorithms/benches/gapbs.sh --scales 20,23 --trials 5
# The script runs GAPBS's own `make` there, compiles benches/gapbs_dump.cc against it (helpers
# that write GAPBS's results to a file, for the equality checks), builds `gapbs-bench` with the
# bench-release profile in CARGO_TARGET_DIR (default ~/.cache/graph-olap/target-algo: this crate
# does not depend on the engine) and runs it; arguments pass through (see src/bin/gapbs-bench.rs).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
: "${GAPBS_DIR:?set GAPBS_DIR to a GAPBS source tree (git clone https://github.com/sbeamer/gapbs)}"
[ -f "$GAPBS_DIR/src/bfs.cc" ] || { echo "GAPBS_DIR=$GAPBS_DIR has no src/bfs.cc" >&2; exit 2; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/graph-olap/target-algo}"

make -C "$GAPBS_DIR" -s
for k in pr cc bfs sssp bc tc; do
  out="$GAPBS_DIR/dump_$k"
  if [ ! -x "$out" ] || [ "$here/gapbs_dump.cc" -nt "$out" ]; then
    g++ -std=c++11 -O3 -Wall -fopenmp -I"$GAPBS_DIR/src" -DKERNEL_"${k^^}" \
      "$here/gapbs_dump.cc" -o "$out"
  fi
done
(cd "$root" && cargo build -q --profile bench-release -p graph-olap-algorithms --bin gapbs-bench)
exec "$CARGO_TARGET_DIR/bench-release/gapbs-bench" --gapbs "$GAPBS_DIR" "$@"
