# The elementwise kernel family.
target_sources(braid PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/elementwise_registration.cpp
  ${CMAKE_CURRENT_LIST_DIR}/elementwise_ops.cpp)
