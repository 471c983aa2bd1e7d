# Model builder: library braid_modelgen (build-time/test code, not part of braid), the CLI
# braid-make-models, and braid_models, which writes the bundled workloads into
# ${PROJECT_BINARY_DIR}/models at build time.
set(_modelgen_dir ${CMAKE_CURRENT_LIST_DIR})

add_library(braid_modelgen STATIC
  ${_modelgen_dir}/model_builder.cpp
  ${_modelgen_dir}/model_stats.cpp
  ${_modelgen_dir}/workloads.cpp)
# Consumers write #include "model_builder/model_builder.h".
target_include_directories(braid_modelgen PUBLIC ${PROJECT_SOURCE_DIR}/tools)
target_compile_features(braid_modelgen PUBLIC cxx_std_20)
# onnx types appear in the API (finish() returns onnx::ModelProto), so onnx is public here.
target_link_libraries(braid_modelgen PUBLIC onnx onnx_proto protobuf::libprotobuf PRIVATE braid_warnings)

add_executable(braid-make-models ${_modelgen_dir}/main.cpp)
target_link_libraries(braid-make-models PRIVATE braid_modelgen braid_warnings)

set(BRAID_BUNDLED_MODELS inception wide_mlp transformer resnet ensemble)
set(_modelgen_outputs "")
foreach(_m IN LISTS BRAID_BUNDLED_MODELS)
  list(APPEND _modelgen_outputs ${PROJECT_BINARY_DIR}/models/${_m}.onnx)
endforeach()
add_custom_command(
  OUTPUT ${_modelgen_outputs}
  COMMAND braid-make-models ${PROJECT_BINARY_DIR}/models ${BRAID_BUNDLED_MODELS}
  DEPENDS braid-make-models
  COMMENT "Writing the bundled workloads to ${PROJECT_BINARY_DIR}/models"
  VERBATIM)
add_custom_target(braid_models ALL DEPENDS ${_modelgen_outputs})
unset(_m)
unset(_modelgen_outputs)

# The custom-op model of examples/custom_op (outside models/: no built-in kernel runs it).
add_executable(braid-make-custom-op-model ${_modelgen_dir}/custom_op_model.cpp)
target_link_libraries(braid-make-custom-op-model PRIVATE braid_modelgen braid_warnings)
add_custom_command(
  OUTPUT ${PROJECT_BINARY_DIR}/example_data/custom_op_demo.onnx
  COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/example_data
  COMMAND braid-make-custom-op-model ${PROJECT_BINARY_DIR}/example_data/custom_op_demo.onnx
  DEPENDS braid-make-custom-op-model
  VERBATIM)
add_custom_target(braid_example_data ALL DEPENDS ${PROJECT_BINARY_DIR}/example_data/custom_op_demo.onnx)
