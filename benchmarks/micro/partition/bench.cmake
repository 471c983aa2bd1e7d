# Partitioner and DSDG micro-benchmarks (issue 4): partitioning a 10,000-node random DAG
# (target < 50 ms) and one ready-set update of the executor's flow graph (target < 100 ns).
add_executable(braid_partition_bench
  ${CMAKE_CURRENT_LIST_DIR}/partition_bench.cpp
  ${PROJECT_SOURCE_DIR}/tests/unit/partition/test_graphs.cpp)
target_include_directories(braid_partition_bench PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(braid_partition_bench PRIVATE braid::braid benchmark::benchmark_main Threads::Threads
                      braid_warnings)
