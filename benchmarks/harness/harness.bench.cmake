# braid-bench: the benchmark harness (the README's main job).
add_executable(braid-bench
  ${CMAKE_CURRENT_LIST_DIR}/main.cpp
  ${CMAKE_CURRENT_LIST_DIR}/bench_options.cpp
  ${CMAKE_CURRENT_LIST_DIR}/burst_split.cpp
  ${CMAKE_CURRENT_LIST_DIR}/compare.cpp
  ${CMAKE_CURRENT_LIST_DIR}/compare_print.cpp
  ${CMAKE_CURRENT_LIST_DIR}/efficiency.cpp
  ${CMAKE_CURRENT_LIST_DIR}/html_report.cpp
  ${CMAKE_CURRENT_LIST_DIR}/identity_model.cpp
  ${CMAKE_CURRENT_LIST_DIR}/inputs.cpp
  ${CMAKE_CURRENT_LIST_DIR}/interference.cpp
  ${CMAKE_CURRENT_LIST_DIR}/machine_info.cpp
  ${CMAKE_CURRENT_LIST_DIR}/node_profile.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ort_peer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/output_check.cpp
  ${CMAKE_CURRENT_LIST_DIR}/progress.cpp
  ${CMAKE_CURRENT_LIST_DIR}/report.cpp
  ${CMAKE_CURRENT_LIST_DIR}/resource_timeline.cpp
  ${CMAKE_CURRENT_LIST_DIR}/serve.cpp
  ${CMAKE_CURRENT_LIST_DIR}/scenarios.cpp
  ${CMAKE_CURRENT_LIST_DIR}/trace_recorder.cpp)
target_include_directories(braid-bench PRIVATE ${CMAKE_CURRENT_LIST_DIR})
# --compare ort runs the peer's server from the source tree (BRAID_ORT_SERVE overrides it).
target_compile_definitions(braid-bench PRIVATE
  BRAID_ORT_SERVE_SCRIPT="${CMAKE_CURRENT_LIST_DIR}/../peer/ort_serve.mjs")
target_link_libraries(braid-bench PRIVATE braid braid_warnings Threads::Threads)
if(TARGET braid_models)
  add_dependencies(braid-bench braid_models)
endif()
