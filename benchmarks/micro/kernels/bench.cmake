# Kernel micro-benchmarks: the machine's ceilings, the GEMM core and Conv layer shapes,
# each reported as GFLOP/s and percent of the measured single-core FMA peak.
add_executable(braid_kernels_bench
  ${CMAKE_CURRENT_LIST_DIR}/ceiling.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ceiling_avx2.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ceiling_avx512.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ceiling_bench.cpp
  ${CMAKE_CURRENT_LIST_DIR}/eigen_ref.cpp
  ${CMAKE_CURRENT_LIST_DIR}/gemm_bench.cpp
  ${CMAKE_CURRENT_LIST_DIR}/conv_bench.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pool_bench.cpp
  ${CMAKE_CURRENT_LIST_DIR}/softmax_bench.cpp
  ${CMAKE_CURRENT_LIST_DIR}/im2col_bench.cpp)
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/ceiling_avx2.cpp
  PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma")
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/ceiling_avx512.cpp ${CMAKE_CURRENT_LIST_DIR}/eigen_ref.cpp
  PROPERTIES COMPILE_OPTIONS "-mavx512f;-mavx512bw;-mavx512vl;-mfma")
target_include_directories(braid_kernels_bench PRIVATE ${PROJECT_SOURCE_DIR}/src ${CMAKE_CURRENT_LIST_DIR})
target_compile_definitions(braid_kernels_bench PRIVATE EIGEN_DONT_PARALLELIZE)
target_link_libraries(braid_kernels_bench PRIVATE braid::braid benchmark::benchmark_main TBB::tbb Eigen3::Eigen
                      Threads::Threads braid_warnings)
