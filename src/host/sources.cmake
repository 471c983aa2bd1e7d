target_sources(braid PRIVATE ${CMAKE_CURRENT_LIST_DIR}/host_session.cpp)
