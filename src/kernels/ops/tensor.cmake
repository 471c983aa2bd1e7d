# The tensor kernel family.
target_sources(braid PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/tensor_registration.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tensor_common.cpp
  ${CMAKE_CURRENT_LIST_DIR}/identity.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tensor_reshape.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tensor_transpose.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tensor_concat_split.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tensor_slice.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tensor_gather.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tensor_scatter.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tensor_shape_ops.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tensor_expand_tile.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tensor_pad.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tensor_depth_space.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tensor_index_ops.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tensor_unique.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tensor_resize.cpp)
