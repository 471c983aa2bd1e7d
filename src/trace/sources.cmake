target_sources(braid PRIVATE ${CMAKE_CURRENT_LIST_DIR}/run_tracer.cpp)
