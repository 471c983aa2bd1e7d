target_sources(braid PRIVATE ${CMAKE_CURRENT_LIST_DIR}/session.cpp ${CMAKE_CURRENT_LIST_DIR}/async_runner.cpp
  ${CMAKE_CURRENT_LIST_DIR}/precision.cpp)
