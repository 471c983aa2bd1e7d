target_sources(braid PRIVATE ${CMAKE_CURRENT_LIST_DIR}/chunk_planner.cpp)
