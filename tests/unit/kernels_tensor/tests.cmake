# Unit tests of the tensor kernel family (src/kernels/ops/tensor_*, identity.cpp).
braid_add_test(tensor_kernels_test SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/tensor_test_util.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tensor_reshape_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tensor_transpose_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tensor_concat_slice_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tensor_gather_scatter_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tensor_shape_pad_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tensor_index_ops_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tensor_resize_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tensor_concurrency_test.cpp)
