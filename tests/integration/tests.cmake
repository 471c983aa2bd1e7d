# Whole-session tests, and the installed-package consumer test.
braid_add_test(session_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/session_test.cpp
               ${CMAKE_CURRENT_LIST_DIR}/malformed_model_test.cpp
               ${CMAKE_CURRENT_LIST_DIR}/session_profile_test.cpp
               ${CMAKE_CURRENT_LIST_DIR}/session_stream_test.cpp
               ${CMAKE_CURRENT_LIST_DIR}/session_memory_test.cpp
               ${CMAKE_CURRENT_LIST_DIR}/host_graph_test.cpp
               ${CMAKE_CURRENT_LIST_DIR}/custom_op_test.cpp
               ${CMAKE_CURRENT_LIST_DIR}/fault_injection_test.cpp
               ${CMAKE_CURRENT_LIST_DIR}/determinism_test.cpp
               SHARDS 2)  # the longest binary (4 min under TSan): two ctest tests
target_link_libraries(session_test PRIVATE braid_modelgen)
if(TARGET braid_models)
  add_dependencies(session_test braid_models)  # the bundled workloads it loads
endif()

braid_add_test(precision_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/precision_test.cpp)
target_link_libraries(precision_test PRIVATE braid_modelgen)
if(TARGET braid_models)
  add_dependencies(precision_test braid_models)
endif()

# braid_add_install_test(EXAMPLE [ARGS "a b"]): installs the build into a scratch prefix,
# builds examples/EXAMPLE against it with find_package and runs it (install_consumer.cmake).
# The installs share the build's install_manifest.txt, hence the lock.
function(braid_add_install_test example)
  cmake_parse_arguments(ARG "" "ARGS" "" ${ARGN})
  add_test(NAME install_consumer_${example}
           COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${PROJECT_BINARY_DIR} -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
                   -DWORK_DIR=${PROJECT_BINARY_DIR}/install_test/${example} -DEXAMPLE=${example}
                   "-DARGS=${ARG_ARGS}" -P ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/install_consumer.cmake)
  set_tests_properties(install_consumer_${example} PROPERTIES TIMEOUT 600 LABELS install
                       RESOURCE_LOCK braid_install)
endfunction()

braid_add_install_test(hello_session ARGS "${BRAID_SHARED_MODELS}/mnist-8_cntk.onnx")
braid_add_install_test(embed_host_graph)
braid_add_install_test(two_models
                       ARGS "${PROJECT_BINARY_DIR}/models/wide_mlp.onnx ${PROJECT_BINARY_DIR}/models/ensemble.onnx 20")
braid_add_install_test(custom_op ARGS "${PROJECT_BINARY_DIR}/example_data/custom_op_demo.onnx")

# The steady-state run path's heap calls, counted by a replaced operator new (linked into
# this executable only).
braid_add_test(run_allocation_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/run_allocation_test.cpp
               ${PROJECT_SOURCE_DIR}/tests/common/counting_allocator.cpp)
set_target_properties(run_allocation_test PROPERTIES ENABLE_EXPORTS ON)  # symbols for the breakdown
target_link_libraries(run_allocation_test PRIVATE ${CMAKE_DL_LIBS})
if(TARGET braid_models)
  add_dependencies(run_allocation_test braid_models)
endif()
