# Low-precision GEMM micro-benchmarks: bf16 and int8 against the f32 GEMM core in the same
# process, single thread, with the machine ceilings of benchmarks/micro/kernels (their
# sources are compiled in, unchanged).
set(BRAID_CEILING_DIR ${PROJECT_SOURCE_DIR}/benchmarks/micro/kernels)
add_executable(braid_lowp_bench
  ${BRAID_CEILING_DIR}/ceiling.cpp
  ${BRAID_CEILING_DIR}/ceiling_avx2.cpp
  ${BRAID_CEILING_DIR}/ceiling_avx512.cpp
  ${CMAKE_CURRENT_LIST_DIR}/lowp_gemm_bench.cpp)
target_include_directories(braid_lowp_bench PRIVATE ${PROJECT_SOURCE_DIR}/src ${BRAID_CEILING_DIR})
target_link_libraries(braid_lowp_bench PRIVATE braid::braid benchmark::benchmark_main TBB::tbb
                      Threads::Threads braid_warnings)
# Same flags as in kernels/bench.cmake (source properties are per directory; repeated so
# this fragment does not depend on the order fragments are included in).
set_source_files_properties(${BRAID_CEILING_DIR}/ceiling_avx2.cpp PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma")
set_source_files_properties(${BRAID_CEILING_DIR}/ceiling_avx512.cpp
  PROPERTIES COMPILE_OPTIONS "-mavx512f;-mavx512bw;-mavx512vl;-mfma")
