# DSDG (issue 4): the Dynamic Subgraph Dependency Graph and per-request ready sets.
target_sources(braid PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/dsdg.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dsdg_request.cpp)
