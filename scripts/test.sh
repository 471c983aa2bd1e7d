#!/usr/bin/env bash
# The whole test suite: unit, conformance, integration and peer (ONNX Runtime) tests in a
# release build, then the sanitizer runs (ASan+UBSan, TSan; scripts/sanitizers.sh).
# BRAID_SANITIZERS="" skips the sanitizer runs, "asan" or "tsan" keeps one. Long
# stress/fuzz/live runs are opt-in ctest labels.
source "$(dirname "$0")/common.sh"
# chromium: the `browser` ctest renders braid-bench's HTML report headless.
ensure_packages "${BRAID_BUILD_PACKAGES[@]}" libonnx-testdata chromium
ensure_ort_peer
export BRAID_ORT_PREFIX
BUILD="$BRAID_ROOT/build/test-release"
configure_and_build "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBRAID_BUILD_TESTS=ON -DBRAID_BUILD_BENCHMARKS=OFF
(cd "$BUILD" && ctest --output-on-failure -j"$BRAID_JOBS" -LE 'live|soak|fuzz|stress')
# The sanitizer trees compile the library twice more (docs/reliability.md, "Sanitizers").
export BRAID_SANITIZERS="${BRAID_SANITIZERS-asan tsan}"
if [ -n "$BRAID_SANITIZERS" ]; then
  "$BRAID_ROOT/scripts/sanitizers.sh"
fi
echo "braid: all tests passed"
