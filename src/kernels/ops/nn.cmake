# The nn kernel family: the compute-heavy ops (MatMul, Gemm, Conv, ConvTranspose, Einsum)
# and the GEMM core they share.
target_sources(braid PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/nn_registration.cpp
  ${CMAKE_CURRENT_LIST_DIR}/nn_matmul.cpp
  ${CMAKE_CURRENT_LIST_DIR}/nn_gemm.cpp
  ${CMAKE_CURRENT_LIST_DIR}/nn_conv_attrs.cpp
  ${CMAKE_CURRENT_LIST_DIR}/nn_conv.cpp
  ${CMAKE_CURRENT_LIST_DIR}/nn_conv_narrow.cpp
  ${CMAKE_CURRENT_LIST_DIR}/nn_conv_winograd.cpp
  ${CMAKE_CURRENT_LIST_DIR}/nn_im2col.cpp
  ${CMAKE_CURRENT_LIST_DIR}/nn_depthwise.cpp
  ${CMAKE_CURRENT_LIST_DIR}/nn_conv_transpose.cpp
  ${CMAKE_CURRENT_LIST_DIR}/nn_einsum.cpp
  ${CMAKE_CURRENT_LIST_DIR}/nn_lowp.cpp)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|amd64")
  target_sources(braid PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/nn_depthwise_avx2.cpp
    ${CMAKE_CURRENT_LIST_DIR}/nn_depthwise_avx512.cpp
    ${CMAKE_CURRENT_LIST_DIR}/nn_conv_narrow_avx512.cpp
    ${CMAKE_CURRENT_LIST_DIR}/nn_conv_winograd_avx512.cpp
    ${CMAKE_CURRENT_LIST_DIR}/nn_im2col_avx512.cpp)
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/nn_depthwise_avx2.cpp
    PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma")
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/nn_depthwise_avx512.cpp
                              ${CMAKE_CURRENT_LIST_DIR}/nn_conv_narrow_avx512.cpp
                              ${CMAKE_CURRENT_LIST_DIR}/nn_conv_winograd_avx512.cpp
                              ${CMAKE_CURRENT_LIST_DIR}/nn_im2col_avx512.cpp
    PROPERTIES COMPILE_OPTIONS "-mavx512f;-mavx512bw;-mavx512vl;-mfma")
endif()
include(${CMAKE_CURRENT_LIST_DIR}/../gemm/gemm.cmake)
