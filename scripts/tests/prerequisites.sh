#!/usr/bin/env bash
# Checks scripts/prerequisites.sh where nothing can be installed: a user who is not root and has
# no sudo gets one message naming the missing commands and the packages to install, and a status
# of 1; without cargo, a message naming the Rust toolchain. Needs root (to run as `nobody`).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "skipped: needs root to run as another user"; exit 0; }
fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT
printf '#!/bin/sh\nexit 0\n' >"$fake/cargo"
# The clone may sit where `nobody` cannot enter (CI's, a mktemp -d): give it its own copy.
cp "$root/scripts/prerequisites.sh" "$fake/prerequisites.sh"
chmod 755 "$fake" "$fake/cargo"
chmod 644 "$fake/prerequisites.sh"
run_as_nobody() { su nobody -s /bin/bash -c "cd / && export PATH=$1 && . '$fake/prerequisites.sh' && $2" 2>&1 || true; }
fail() { echo "prerequisites test failed: $*" >&2; exit 1; }

out=$(run_as_nobody "$fake:/usr/bin:/bin" 'GRAPH_OLAP_PREREQ_build=(sh:dash graph-olap-missing-tool:graph-olap-missing-pkg); ensure_tools build; echo "status=$?"')
grep -q "not installed: graph-olap-missing-tool\." <<<"$out" || fail "no message naming the missing command: $out"
grep -q "apt-get install graph-olap-missing-pkg" <<<"$out" || fail "no package named: $out"
grep -q "Installing" <<<"$out" && fail "claims to install without the rights to: $out"
grep -q "status=1" <<<"$out" || fail "did not fail: $out"

out=$(run_as_nobody "/usr/bin:/bin" 'ensure_tools build; echo "status=$?"')
grep -q "install the Rust toolchain" <<<"$out" || fail "no message naming Rust: $out"
echo "prerequisites: messages for missing tools checked"
