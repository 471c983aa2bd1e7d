braid_add_test(conformance_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/conformance_test.cpp
               LABELS conformance TIMEOUT 900)
