target_sources(braid PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/onnx_importer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tensor_proto.cpp)
