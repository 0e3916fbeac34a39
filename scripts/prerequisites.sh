# System prerequisites of graph-olap, in one place: sourced by scripts/build (and so by
# scripts/up) and by scripts/test.
#
#   ensure_tools build        # what building the workspace needs (C++ engine: cmake, a C++ compiler)
#   ensure_tools build test   # ... and what the test suites need on top (chromium renders the
#                             # SDK's graph view in the browser tests; npm fetches the parts of
#                             # VS Code's widget renderer its VS Code test runs)
#   ensure_tools image        # what scripts/image needs (umoci, runc)
#
# Each entry is COMMAND:DEBIAN-PACKAGE. Missing commands are installed with apt-get (as root, or
# through sudo); where that is impossible the script stops with one message naming what to install.

GRAPH_OLAP_PREREQ_build=(cmake:cmake ccache:ccache c++:g++ make:make)
GRAPH_OLAP_PREREQ_test=(psql:postgresql-client chromium:chromium npm:npm)
# scripts/image: assembles the container image without a daemon (umoci) and runs it (runc).
GRAPH_OLAP_PREREQ_image=(umoci:umoci runc:runc)

ensure_tools() {
  local group entry missing_cmds=() missing_pkgs=()
  if ! command -v cargo >/dev/null; then
    echo "graph-olap is built with Rust: install the Rust toolchain (rustup, stable ≥ 1.95), then run this again." >&2
    return 1
  fi
  for group in "$@"; do
    local -n entries="GRAPH_OLAP_PREREQ_$group"
    for entry in "${entries[@]}"; do
      command -v "${entry%%:*}" >/dev/null || { missing_cmds+=("${entry%%:*}"); missing_pkgs+=("${entry#*:}"); }
    done
  done
  ((${#missing_pkgs[@]})) || return 0
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo)
    else sudo=(none); fi
  fi
  if ! command -v apt-get >/dev/null || [ "${sudo[0]:-}" = none ]; then
    echo "graph-olap needs these commands, which are not installed: ${missing_cmds[*]}." >&2
    echo "Install them with your package manager (Debian/Ubuntu: sudo apt-get install ${missing_pkgs[*]}), then run this again." >&2
    return 1
  fi
  echo "Installing missing system packages: ${missing_pkgs[*]} (for ${missing_cmds[*]})"
  "${sudo[@]}" apt-get update -qq >/dev/null &&
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_pkgs[@]}" >/dev/null || {
    echo "Could not install ${missing_pkgs[*]} with apt-get; install them by hand, then run this again." >&2
    return 1
  }
}
