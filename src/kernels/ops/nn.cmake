# The nn kernel family.
target_sources(braid PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/nn_registration.cpp
  ${CMAKE_CURRENT_LIST_DIR}/nn_ops.cpp)
