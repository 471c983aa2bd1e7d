# Model builder tests (tools/model_builder); needs the tools (BRAID_BUILD_TOOLS).
if(TARGET braid_modelgen)
  braid_add_test(modelgen_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/modelgen_test.cpp)
  target_link_libraries(modelgen_test PRIVATE braid_modelgen)
endif()
