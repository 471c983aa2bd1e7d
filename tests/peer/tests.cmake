# Correctness against ONNX Runtime 1.30 (needs node + onnxruntime-node; skips otherwise).
braid_add_test(peer_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/peer_test.cpp LABELS peer TIMEOUT 900)
if(TARGET braid_models)
  add_dependencies(peer_test braid_models)
endif()

# braid-bench --compare ort end to end on the bundled wide_mlp (compare_ort_test.py): label
# peer, skipped (77) without node/onnxruntime-node; the missing-ORT message needs no ORT and
# runs in the default label. braid-bench is built here by tests/unit/harness/tests.cmake
# or BRAID_BUILD_BENCHMARKS under the same conditions.
find_package(Python3 COMPONENTS Interpreter QUIET)
if(Python3_Interpreter_FOUND AND TARGET braid_models)
  foreach(_what ort missing)
    add_test(NAME harness_compare_${_what}
             COMMAND Python3::Interpreter ${CMAKE_CURRENT_LIST_DIR}/compare_ort_test.py ${_what}
                     --bench $<TARGET_FILE:braid-bench> --model ${PROJECT_BINARY_DIR}/models/wide_mlp.onnx
                     --source-dir ${PROJECT_SOURCE_DIR} --workdir ${CMAKE_CURRENT_BINARY_DIR}/harness_compare_${_what})
    set_tests_properties(harness_compare_${_what} PROPERTIES TIMEOUT 180 SKIP_RETURN_CODE 77)
  endforeach()
  set_tests_properties(harness_compare_ort PROPERTIES LABELS peer)
  unset(_what)
endif()
