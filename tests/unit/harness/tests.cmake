# braid-bench's option parser (compiled in directly: the harness itself is a benchmark
# target, off in the test build).
braid_add_test(harness_options_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_options_test.cpp ${PROJECT_SOURCE_DIR}/benchmarks/harness/bench_options.cpp)
target_include_directories(harness_options_test PRIVATE ${PROJECT_SOURCE_DIR}/benchmarks/harness)
