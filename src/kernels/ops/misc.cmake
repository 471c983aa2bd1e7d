# The misc kernel family.
target_sources(braid PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/misc_registration.cpp
  ${CMAKE_CURRENT_LIST_DIR}/misc_ops.cpp)
