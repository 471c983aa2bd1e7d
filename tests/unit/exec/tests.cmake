braid_add_test(exec_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/parallel_executor_test.cpp
                        ${CMAKE_CURRENT_LIST_DIR}/unit_executor_test.cpp
                        ${CMAKE_CURRENT_LIST_DIR}/elastic_test.cpp
                        ${PROJECT_SOURCE_DIR}/tests/unit/partition/test_graphs.cpp LABELS concurrency)
target_link_libraries(exec_test PRIVATE braid_modelgen)
braid_add_test(memory_plan_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/memory_plan_test.cpp)
if(TARGET braid_models)
  add_dependencies(memory_plan_test braid_models)
endif()
