braid_add_test(exec_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/parallel_executor_test.cpp LABELS concurrency)
target_link_libraries(exec_test PRIVATE braid_modelgen)
