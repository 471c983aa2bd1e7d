# DSDG (issue 4): the Dynamic Subgraph Dependency Graph.
target_sources(braid PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/dsdg.cpp)
