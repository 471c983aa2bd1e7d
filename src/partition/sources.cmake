# Partitioner (issue 4): cost model, machine balance, subgraph identification, op splitting.
target_sources(braid PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/cost_model.cpp
  ${CMAKE_CURRENT_LIST_DIR}/machine_balance.cpp
  ${CMAKE_CURRENT_LIST_DIR}/op_splitter.cpp
  ${CMAKE_CURRENT_LIST_DIR}/partitioner.cpp
  ${CMAKE_CURRENT_LIST_DIR}/shape_resolver.cpp)
