#!/usr/bin/env bash
# The ONNX Runtime comparisons in benchmarks/peer (e2e_compare, op_compare, node_compare,
# two_models_compare): installs what they need (Debian's python3-numpy and python3-onnx,
# the onnxruntime-node peer), builds the release tree of scripts/run.sh, then runs the
# named script on it with the remaining arguments, e.g.
#   scripts/peer.sh e2e_compare --threads 2 --competitor cpu:1
source "$(dirname "$0")/common.sh"
name="${1:-}"
script="$BRAID_ROOT/benchmarks/peer/${name%.py}.py"
if [ -z "$name" ] || [ ! -f "$script" ] || [ "$name" = peer_common ]; then
  echo "usage: scripts/peer.sh e2e_compare|op_compare|node_compare|two_models_compare [ARGS...]" >&2
  exit 2
fi
shift
ensure_packages "${BRAID_BUILD_PACKAGES[@]}" python3-numpy python3-onnx
ensure_ort_peer
export BRAID_ORT_PREFIX
BUILD="$BRAID_ROOT/build/release"
configure_and_build "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBRAID_BUILD_TESTS=OFF
exec /usr/bin/python3 "$script" --build "$BUILD" "$@"
