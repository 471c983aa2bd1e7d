# Tests of the low-precision GEMM (src/kernels/lowp): every bf16 and int8 variant this CPU runs.
braid_add_test(lowp_kernels_test SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/lowp_gemm_test.cpp)
