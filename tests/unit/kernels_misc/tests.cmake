# Unit tests of the misc kernel family (src/kernels/ops/misc_*).
braid_add_test(misc_kernels_test SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/pool_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/norm_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/quant_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/rnn_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/nms_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/concurrency_test.cpp)
