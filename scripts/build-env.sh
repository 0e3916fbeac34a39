# Build environment shared by scripts/test and by hand-run builds and benchmarks:
#   . scripts/build-env.sh && cargo bench -p graph-olap-cli --bench instances
# Keeps cargo's target directory outside the clone and compiles the C++ graph engine through
# ccache when it is installed: paths are rewritten relative to $HOME and the build directory is
# left out of the hash, so another profile, feature set or clone reuses the compiled objects.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/graph-olap/target-dev}"
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/graph-olap/ccache}" CCACHE_BASEDIR="$HOME" CCACHE_NOHASHDIR=true CCACHE_MAXSIZE=20G
if command -v ccache >/dev/null; then
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache CMAKE_C_COMPILER_LAUNCHER=ccache
fi
