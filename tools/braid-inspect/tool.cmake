# braid-inspect: prints a model's partition (subgraphs, widest level, critical-path bound)
# and writes the DSDG as Graphviz dot (issue 4).
add_executable(braid-inspect ${CMAKE_CURRENT_LIST_DIR}/main.cpp)
target_include_directories(braid-inspect PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(braid-inspect PRIVATE braid::braid braid_warnings)
install(TARGETS braid-inspect RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
