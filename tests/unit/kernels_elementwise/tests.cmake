# Tests of the elementwise kernel family (src/kernels/ops/elementwise_*) and the
# broadcasting helper (src/kernels/broadcast.h).
braid_add_test(elementwise_kernels_test SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/elementwise_test_util.cpp
  ${CMAKE_CURRENT_LIST_DIR}/broadcast_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/elementwise_simd_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/elementwise_unary_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/elementwise_binary_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/elementwise_cast_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/elementwise_softmax_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/elementwise_topk_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/elementwise_reduce_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/elementwise_session_test.cpp)
