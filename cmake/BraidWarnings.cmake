# Warnings for Braid's own targets only (never leaked to consumers).
add_library(braid_warnings INTERFACE)
target_compile_options(braid_warnings INTERFACE -Wall -Wextra -Wno-unused-parameter)
# GCC before 13 warns about members a C++20 designated initializer leaves out
# (GCC PR 96868), which is what designated initializers are for.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(braid_warnings INTERFACE -Wno-missing-field-initializers)
endif()
if(BRAID_WARNINGS_AS_ERRORS)
  target_compile_options(braid_warnings INTERFACE -Werror)
endif()
install(TARGETS braid_warnings EXPORT BraidTargets)
