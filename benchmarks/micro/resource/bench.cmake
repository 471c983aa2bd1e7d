# ResourceMonitor micro-benchmarks: per-sample cost of each source and of a full sample,
# and readers' current() cost under a 1 ms sampler.
add_executable(braid_resource_bench ${CMAKE_CURRENT_LIST_DIR}/monitor_bench.cpp)
target_include_directories(braid_resource_bench PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(braid_resource_bench PRIVATE braid::braid benchmark::benchmark_main braid_warnings)
