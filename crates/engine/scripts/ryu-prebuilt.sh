#!/usr/bin/env bash
# Collects the static libraries and headers of an existing bundled `ryugraph` build into one
# directory, so crates whose dependency graph differs from the engine crate's link against them
# instead of recompiling the C++ engine (see crates/engine/src/lib.rs, "Building").
#
# usage: crates/engine/scripts/ryu-prebuilt.sh [TARGET_DIR] [DEST]
#   then: export RYU_LIBRARY_DIR=DEST/lib RYU_INCLUDE_DIR=DEST/include
set -euo pipefail
TARGET_DIR=${1:-$HOME/.cache/graph-olap/target}
DEST=${2:-$HOME/.cache/graph-olap/ryu-prebuilt-25.9.2}
OUT=$(dirname "$(ls -d "$TARGET_DIR"/debug/build/ryugraph-*/out/build/src/libryu.a | head -1)")/../..
SRC=$(ls -d "$HOME"/.cargo/registry/src/index.crates.io-*/ryugraph-25.9.2/ryu-src | head -1)
rm -rf "$DEST" && mkdir -p "$DEST/lib" "$DEST/include"
find "$OUT/build" -name '*.a' -exec cp {} "$DEST/lib/" \;
cp -r "$SRC/src/include/." "$DEST/include/"
cp -r "$OUT/build/src/include/." "$DEST/include/" 2>/dev/null || true
for d in nlohmann_json fastpfor alp/include; do cp -r "$SRC/third_party/$d/." "$DEST/include/"; done
cat > "$DEST/include/ryu.hpp" <<'HPP'
// Umbrella header: what ryugraph's bridge includes in a bundled build.
#pragma once
#include "common/type_utils.h"
#include "common/types/int128_t.h"
#include "common/types/types.h"
#include "common/types/value/nested.h"
#include "common/types/value/node.h"
#include "common/types/value/recursive_rel.h"
#include "common/types/value/rel.h"
#include "common/types/value/value.h"
#include "main/ryu.h"
#include "storage/storage_version_info.h"
HPP
echo "export RYU_LIBRARY_DIR=$DEST/lib RYU_INCLUDE_DIR=$DEST/include"
