# Tests of the nn kernel family and the GEMM core (src/kernels/gemm, src/kernels/ops/nn_*).
braid_add_test(nn_kernels_test SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/gemm_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/conv_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/im2col_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/matmul_test.cpp)
