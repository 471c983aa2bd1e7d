target_sources(braid PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/execution_plan.cpp
  ${CMAKE_CURRENT_LIST_DIR}/memory_plan.cpp
  ${CMAKE_CURRENT_LIST_DIR}/activation_arena.cpp
  ${CMAKE_CURRENT_LIST_DIR}/subgraph_program.cpp
  ${CMAKE_CURRENT_LIST_DIR}/parallel_executor.cpp
  ${CMAKE_CURRENT_LIST_DIR}/unit_executor.cpp
  ${CMAKE_CURRENT_LIST_DIR}/precision_plan.cpp)
