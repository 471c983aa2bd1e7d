# Whole-session tests, and the installed-package consumer test.
braid_add_test(session_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/session_test.cpp
               ${CMAKE_CURRENT_LIST_DIR}/malformed_model_test.cpp
               ${CMAKE_CURRENT_LIST_DIR}/session_profile_test.cpp
               ${CMAKE_CURRENT_LIST_DIR}/session_stream_test.cpp
               ${CMAKE_CURRENT_LIST_DIR}/session_memory_test.cpp
               ${CMAKE_CURRENT_LIST_DIR}/host_graph_test.cpp
               ${CMAKE_CURRENT_LIST_DIR}/custom_op_test.cpp)
target_link_libraries(session_test PRIVATE braid_modelgen)
if(TARGET braid_models)
  add_dependencies(session_test braid_models)  # the bundled workloads it loads
endif()

add_test(NAME install_consumer_hello_session
         COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${PROJECT_BINARY_DIR} -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
                 -DWORK_DIR=${PROJECT_BINARY_DIR}/install_test/hello_session -DEXAMPLE=hello_session
                 "-DARGS=${BRAID_SHARED_MODELS}/mnist-8_cntk.onnx"
                 -P ${CMAKE_CURRENT_LIST_DIR}/install_consumer.cmake)
set_tests_properties(install_consumer_hello_session PROPERTIES TIMEOUT 600 LABELS install
                     RESOURCE_LOCK braid_install)

add_test(NAME install_consumer_embed_host_graph
         COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${PROJECT_BINARY_DIR} -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
                 -DWORK_DIR=${PROJECT_BINARY_DIR}/install_test/embed_host_graph -DEXAMPLE=embed_host_graph
                 -P ${CMAKE_CURRENT_LIST_DIR}/install_consumer.cmake)
set_tests_properties(install_consumer_embed_host_graph PROPERTIES TIMEOUT 600 LABELS install
                     RESOURCE_LOCK braid_install)

add_test(NAME install_consumer_two_models
         COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${PROJECT_BINARY_DIR} -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
                 -DWORK_DIR=${PROJECT_BINARY_DIR}/install_test/two_models -DEXAMPLE=two_models
                 "-DARGS=${PROJECT_BINARY_DIR}/models/wide_mlp.onnx ${PROJECT_BINARY_DIR}/models/ensemble.onnx 20"
                 -P ${CMAKE_CURRENT_LIST_DIR}/install_consumer.cmake)
set_tests_properties(install_consumer_two_models PROPERTIES TIMEOUT 600 LABELS install
                     RESOURCE_LOCK braid_install)

add_test(NAME install_consumer_custom_op
         COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${PROJECT_BINARY_DIR} -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
                 -DWORK_DIR=${PROJECT_BINARY_DIR}/install_test/custom_op -DEXAMPLE=custom_op
                 "-DARGS=${PROJECT_BINARY_DIR}/example_data/custom_op_demo.onnx"
                 -P ${CMAKE_CURRENT_LIST_DIR}/install_consumer.cmake)
set_tests_properties(install_consumer_custom_op PROPERTIES TIMEOUT 600 LABELS install
                     RESOURCE_LOCK braid_install)
