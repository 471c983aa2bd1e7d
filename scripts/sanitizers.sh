#!/usr/bin/env bash
# Sanitizer runs of the test suite (called by test.sh): the unit and integration tests
# under ASan+UBSan, the concurrency tests under TSan. Reduced sets keep CI within its time
# limit; docs/reliability.md lists them. BRAID_SANITIZERS ("asan tsan" by default) picks which.
source "$(dirname "$0")/common.sh"
ensure_packages "${BRAID_BUILD_PACKAGES[@]}"

ASAN_TESTS=(core_test session_test exec_test sched_test resource_test partition_test dsdg_test
            memory_plan_test graph_optimizer_test precision_test run_tracer_test fuzz_regression_test
            conformance_test elementwise_kernels_test tensor_kernels_test nn_kernels_test
            misc_kernels_test lowp_kernels_test)
TSAN_TESTS=(core_test exec_test sched_test resource_test dsdg_test session_test scheduler_stress_test)

run_sanitized() {
  local name="$1" sanitizer="$2"; shift 2
  local dir="$BRAID_ROOT/build/test-$name"
  local targets=()
  braid_configure "$dir" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" \
        -DBRAID_SANITIZE="$sanitizer" -DBRAID_BUILD_BENCHMARKS=OFF -DBRAID_BUILD_TESTS=ON
  local known
  if [ -f "$dir/build.ninja" ]; then known=$(ninja -C "$dir" -t targets all | sed 's/: .*/:/')
  else known=$(cmake --build "$dir" --target help | sed 's/^\.\.\. //; s/$/:/'); fi
  for t in "$@"; do
    if grep -q "^$t:" <<<"$known"; then targets+=("$t"); fi
  done
  cmake --build "$dir" -j"$BRAID_JOBS" --target "${targets[@]}"
  local regex
  regex="^($(IFS='|'; echo "${targets[*]}"))(\.[0-9]+)?$"  # NAME.i: a sharded binary
  (cd "$dir" && ctest --output-on-failure -j"$BRAID_JOBS" -R "$regex")
}

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$BRAID_ROOT/tests/ubsan.supp"
# Left out of the sanitized runs (the release run has them): the two big CNNs' determinism
# sweep (24 runs each; 80 s under ASan) and fusion check -- the other models keep both --
# and the scalar GEMM's three bitwise-equality sweeps over large shapes (50 s under ASan;
# the scalar kernel's accesses stay checked by its reference tests). The TSan stress test
# runs 8 clients x 60 runs instead of 8 x 200.
SKIPPED=(Models/Determinism.SameBitsInEveryModeAndThreadCount/resnet
         Models/Determinism.SameBitsInEveryModeAndThreadCount/inception
         Models/GraphFusion.MatchesWithFusionOnAndOff/resnet
         Models/GraphFusion.MatchesWithFusionOnAndOff/inception
         AllIsas/GemmIsaTest.MultiThreadResultsAreBitwiseEqualToSingleThread/scalar
         AllIsas/GemmIsaTest.ElasticPiecesAreBitwiseEqualToOneThread/scalar
         AllIsas/GemmIsaTest.AnyKBlockPackedOrNotGivesTheSameBits/scalar)
export GTEST_FILTER="-$(IFS=':'; echo "${SKIPPED[*]}")"
export BRAID_STRESS_RUNS="${BRAID_STRESS_RUNS:-60}"
export TSAN_OPTIONS="halt_on_error=1:history_size=7:second_deadlock_stack=1:suppressions=$BRAID_ROOT/tests/tsan.supp"
for s in ${BRAID_SANITIZERS-asan tsan}; do
  case "$s" in
    asan) run_sanitized asan address "${ASAN_TESTS[@]}" ;;
    tsan) run_sanitized tsan thread "${TSAN_TESTS[@]}" ;;
    *) echo "unknown sanitizer $s" >&2; exit 2 ;;
  esac
done
echo "braid: sanitizer runs passed"
