target_sources(braid PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/graph_optimizer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/rewrite_util.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fold_batch_norm.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fuse_activation.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fuse_bias.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fuse_layer_norm.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fuse_max_pool.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fuse_residual.cpp)
