# Scheduler micro-benchmarks (issue 6): dispatch overhead per empty subgraph (target < 2 us)
# and one scheduling step over a 1,000-subgraph ready set (target < 20 us); node-run
# tracing's cost per node (BM_NodeTracing, a model built with braid_modelgen).
add_executable(braid_sched_bench ${CMAKE_CURRENT_LIST_DIR}/sched_bench.cpp)
target_include_directories(braid_sched_bench PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(braid_sched_bench PRIVATE braid::braid braid_modelgen benchmark::benchmark_main Threads::Threads
                      TBB::tbb braid_warnings)
