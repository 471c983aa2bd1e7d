# braid_fusion_bench: graph fusion on vs off, paired runs in one process (issue 3).
add_executable(braid_fusion_bench ${CMAKE_CURRENT_LIST_DIR}/fusion_bench.cpp)
target_link_libraries(braid_fusion_bench PRIVATE braid braid_warnings)
if(TARGET braid_models)
  add_dependencies(braid_fusion_bench braid_models)
endif()
