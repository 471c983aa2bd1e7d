# braid-precision: the end-to-end accuracy and latency report of the bf16 / int8 / adaptive
# precisions against f32 on given models (docs/precision.md).
add_executable(braid-precision ${CMAKE_CURRENT_LIST_DIR}/main.cpp)
target_link_libraries(braid-precision PRIVATE braid::braid braid_warnings)
install(TARGETS braid-precision RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
