# BRAID_FUZZ=ON: libFuzzer builds (clang only). Everything we compile gets the fuzzer
# coverage instrumentation plus ASan+UBSan; the fuzz targets (tests/fuzz/fuzz.cmake) add
# -fsanitize=fuzzer, which links libFuzzer's main.
option(BRAID_FUZZ "Build the libFuzzer targets (clang only)" OFF)
if(BRAID_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "BRAID_FUZZ=ON needs clang (CXX=clang++); the compiler is ${CMAKE_CXX_COMPILER_ID}")
  endif()
  if(NOT BRAID_SANITIZE STREQUAL "")
    message(FATAL_ERROR "BRAID_FUZZ=ON already enables ASan+UBSan; leave BRAID_SANITIZE empty")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
