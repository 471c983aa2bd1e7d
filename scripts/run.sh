#!/usr/bin/env bash
# The main job: builds Braid and runs the harness on the bundled models (sequential vs
# static vs adaptive). Extra arguments go to braid-bench.
source "$(dirname "$0")/common.sh"
ensure_packages "${BRAID_BUILD_PACKAGES[@]}"
BUILD="$BRAID_ROOT/build/release"
configure_and_build "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBRAID_BUILD_TESTS=OFF
exec "$BUILD/benchmarks/braid-bench" --models-dir "$BUILD/models" "$@"
