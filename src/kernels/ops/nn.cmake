# The nn kernel family: the compute-heavy ops (MatMul, Gemm, Conv, ConvTranspose, Einsum)
# and the GEMM core they share.
target_sources(braid PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/nn_registration.cpp
  ${CMAKE_CURRENT_LIST_DIR}/nn_ops.cpp)
include(${CMAKE_CURRENT_LIST_DIR}/../gemm/gemm.cmake)
