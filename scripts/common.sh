# Shared by the README commands: package check/installation and the build.
# Sourced, not executed.
set -euo pipefail

BRAID_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BRAID_JOBS="${BRAID_JOBS:-2}"

# Debian packages every build needs (compilers, CMake, the libraries Braid links).
BRAID_BUILD_PACKAGES=(g++ cmake make ninja-build pkg-config libtbb-dev libeigen3-dev libspdlog-dev
  libgtest-dev libgmock-dev libbenchmark-dev libonnx-dev libprotobuf-dev protobuf-compiler)

# Installs missing Debian packages: as root with apt-get, otherwise prints the command
# and fails.
ensure_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ]; then
    echo "braid: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    echo "braid: missing Debian packages. Run:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
}

# configure_and_build BUILD_DIR [cmake args...]: configure once, build with -j$BRAID_JOBS.
configure_and_build() {
  local dir="$1"; shift
  braid_configure "$dir" "$@"
  cmake --build "$dir" -j"$BRAID_JOBS"
}

# braid_configure BUILD_DIR [cmake args...]: a new tree uses Ninja, which schedules the whole
# build graph at once (a test's objects compile while the library's last ones do, where
# make waits at every target boundary); an existing tree keeps its generator.
braid_configure() {
  local dir="$1"; shift
  local generator=()
  [ -f "$dir/CMakeCache.txt" ] || generator=(-G Ninja)
  cmake -S "$BRAID_ROOT" -B "$dir" "${generator[@]}" "$@" >/dev/null
}

# The ONNX Runtime peer (npm onnxruntime-node 1.30.0, CPU library inside the tarball),
# installed once per machine into the user's cache.
BRAID_ORT_PREFIX="${BRAID_ORT_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/braid/ort}"
ensure_ort_peer() {
  if [ -f "$BRAID_ORT_PREFIX/node_modules/onnxruntime-node/package.json" ]; then return 0; fi
  # Any Node.js with npm will do (Debian's packages, or a nodejs that bundles npm).
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then ensure_packages nodejs npm; fi
  mkdir -p "$BRAID_ORT_PREFIX"
  (cd "$BRAID_ORT_PREFIX" && { [ -f package.json ] || npm init -y >/dev/null; } &&
   npm install --ignore-scripts --no-audit --no-fund onnxruntime-node@1.30.0 >&2)
}
