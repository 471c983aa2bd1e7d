# braid-bench's option parser and its other pure parts (compiled in directly: the harness itself is a benchmark
# target, off in the test build).
braid_add_test(harness_options_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_options_test.cpp ${PROJECT_SOURCE_DIR}/benchmarks/harness/bench_options.cpp
          ${CMAKE_CURRENT_LIST_DIR}/ort_peer_test.cpp ${PROJECT_SOURCE_DIR}/benchmarks/harness/ort_peer.cpp
          ${CMAKE_CURRENT_LIST_DIR}/output_check_test.cpp ${PROJECT_SOURCE_DIR}/benchmarks/harness/output_check.cpp
          ${CMAKE_CURRENT_LIST_DIR}/efficiency_test.cpp ${PROJECT_SOURCE_DIR}/benchmarks/harness/efficiency.cpp
          ${CMAKE_CURRENT_LIST_DIR}/burst_split_test.cpp ${PROJECT_SOURCE_DIR}/benchmarks/harness/burst_split.cpp)
target_include_directories(harness_options_test PRIVATE ${PROJECT_SOURCE_DIR}/benchmarks/harness)

# braid-bench's reports end to end on the bundled wide_mlp (harness_report_test.py): the
# JSON against its schema, the Chrome trace, --input/--shape/--together, and the HTML page in headless Chromium
# (label browser; skipped when Chromium is missing). Without BRAID_BUILD_BENCHMARKS the
# harness is built here for them.
find_package(Python3 COMPONENTS Interpreter QUIET)
if(Python3_Interpreter_FOUND AND TARGET braid_models)
  if(NOT BRAID_BUILD_BENCHMARKS)
    include(${PROJECT_SOURCE_DIR}/benchmarks/harness/harness.bench.cmake)
  endif()
  foreach(_what json trace inputs html)
    add_test(NAME harness_${_what}_report
             COMMAND Python3::Interpreter ${CMAKE_CURRENT_LIST_DIR}/harness_report_test.py ${_what}
                     --bench $<TARGET_FILE:braid-bench> --model ${PROJECT_BINARY_DIR}/models/wide_mlp.onnx
                     --source-dir ${PROJECT_SOURCE_DIR} --workdir ${CMAKE_CURRENT_BINARY_DIR}/harness_${_what}_report)
    set_tests_properties(harness_${_what}_report PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)
  endforeach()
  set_tests_properties(harness_html_report PROPERTIES LABELS browser)
  unset(_what)
endif()
