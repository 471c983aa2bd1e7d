# The tensor kernel family.
target_sources(braid PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/tensor_registration.cpp
  ${CMAKE_CURRENT_LIST_DIR}/identity.cpp)
