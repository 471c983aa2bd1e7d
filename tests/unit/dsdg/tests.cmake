# DSDG tests (issue 4): EWMA convergence, ranks, re-estimation.
braid_add_test(dsdg_test SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/dsdg_test.cpp
  ${PROJECT_SOURCE_DIR}/tests/unit/partition/test_graphs.cpp)
