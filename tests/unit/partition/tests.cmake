# Partitioner, cost model, machine balance and op splitter tests (issue 4).
set(_partition_test_dir ${CMAKE_CURRENT_LIST_DIR})
set(_partition_test_sources
  ${_partition_test_dir}/cost_model_test.cpp
  ${_partition_test_dir}/partitioner_test.cpp
  ${_partition_test_dir}/test_graphs.cpp)
# The split-vs-unsplit Session tests write ONNX through the model builder (tools).
if(TARGET braid_modelgen)
  list(APPEND _partition_test_sources ${_partition_test_dir}/op_splitter_test.cpp)
endif()
braid_add_test(partition_test SOURCES ${_partition_test_sources})
if(TARGET braid_modelgen)
  target_link_libraries(partition_test PRIVATE braid_modelgen)
endif()
unset(_partition_test_sources)
