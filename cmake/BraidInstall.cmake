include(CMakePackageConfigHelpers)
install(TARGETS braid EXPORT BraidTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/braid DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT BraidTargets NAMESPACE braid:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Braid)
configure_package_config_file(cmake/BraidConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/BraidConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Braid)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/BraidConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/BraidConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/BraidConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Braid)
configure_file(cmake/braid.pc.in ${CMAKE_CURRENT_BINARY_DIR}/braid.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/braid.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
