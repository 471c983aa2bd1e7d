# Warnings for Braid's own targets only (never leaked to consumers).
add_library(braid_warnings INTERFACE)
target_compile_options(braid_warnings INTERFACE -Wall -Wextra -Wno-unused-parameter)
if(BRAID_WARNINGS_AS_ERRORS)
  target_compile_options(braid_warnings INTERFACE -Werror)
endif()
install(TARGETS braid_warnings EXPORT BraidTargets)
