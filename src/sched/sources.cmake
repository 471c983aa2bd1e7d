target_sources(braid PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/cache_info.cpp
  ${CMAKE_CURRENT_LIST_DIR}/chunk_planner.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dispatcher.cpp
  ${CMAKE_CURRENT_LIST_DIR}/runtime_core.cpp
  ${CMAKE_CURRENT_LIST_DIR}/service_meter.cpp)
