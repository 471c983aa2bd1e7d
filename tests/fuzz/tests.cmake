# fuzz_regression_test (normal build, default run): replays every seed corpus file and every
# reproducer in tests/fuzz/regressions/<target>/ through the fuzz target bodies, so inputs
# that once crashed stay fixed without clang or libFuzzer. The fuzz binaries themselves are
# built by fuzz.cmake (BRAID_FUZZ=ON).
braid_add_test(fuzz_regression_test SOURCES
               ${CMAKE_CURRENT_LIST_DIR}/fuzz_regression_test.cpp
               ${CMAKE_CURRENT_LIST_DIR}/fuzz_model_load.cpp
               ${CMAKE_CURRENT_LIST_DIR}/fuzz_tensor_proto.cpp
               ${CMAKE_CURRENT_LIST_DIR}/fuzz_bench_args.cpp
               ${CMAKE_CURRENT_LIST_DIR}/fuzz_host_graph.cpp
               ${PROJECT_SOURCE_DIR}/benchmarks/harness/bench_options.cpp)
target_compile_definitions(fuzz_regression_test PRIVATE BRAID_FUZZ_NO_ENTRY)
target_include_directories(fuzz_regression_test PRIVATE ${CMAKE_CURRENT_LIST_DIR}
                           ${PROJECT_SOURCE_DIR}/benchmarks/harness)
