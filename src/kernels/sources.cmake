target_sources(braid PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/op_kernel.cpp
  ${CMAKE_CURRENT_LIST_DIR}/registry.cpp
  ${CMAKE_CURRENT_LIST_DIR}/attributes.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cpu_features.cpp
  ${CMAKE_CURRENT_LIST_DIR}/parallel.cpp
  ${CMAKE_CURRENT_LIST_DIR}/custom_op.cpp)
# Kernel families list their own files in ops/*.cmake.
file(GLOB BRAID_KERNEL_FRAGMENTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/ops/*.cmake)
list(SORT BRAID_KERNEL_FRAGMENTS)
foreach(kernel_fragment IN LISTS BRAID_KERNEL_FRAGMENTS)
  include(${kernel_fragment})
endforeach()
include(${CMAKE_CURRENT_LIST_DIR}/lowp/lowp.cmake)
