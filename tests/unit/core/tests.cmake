braid_add_test(core_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/buffer_pool_test.cpp
               ${CMAKE_CURRENT_LIST_DIR}/ring_buffer_test.cpp
               ${CMAKE_CURRENT_LIST_DIR}/large_alloc_test.cpp
               ${CMAKE_CURRENT_LIST_DIR}/log_test.cpp LABELS concurrency)
