# braid-monitor: prints the live ResourceVector once per period (a `top` for Braid).
add_executable(braid-monitor ${CMAKE_CURRENT_LIST_DIR}/main.cpp)
target_link_libraries(braid-monitor PRIVATE braid::braid braid_warnings)
install(TARGETS braid-monitor RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
