# libFuzzer targets (BRAID_FUZZ=ON, included from the top CMakeLists.txt). Each target gets
# a ctest labelled `fuzz` that runs it for a bounded time on a scratch copy of its seed
# corpus (tests/fuzz/corpus/<target>), so the checked-in corpus is never modified.
if(BRAID_FUZZ)
  enable_testing()
  set(BRAID_FUZZ_SECONDS 60 CACHE STRING "Seconds each fuzz ctest runs its target")
  set(BRAID_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR})

  # braid_add_fuzzer(NAME SOURCES a.cpp ... [LIBS l ...] [INCLUDES d ...])
  function(braid_add_fuzzer name)
    cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;INCLUDES" ${ARGN})
    add_executable(${name} ${ARG_SOURCES})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${ARG_INCLUDES})
    target_link_libraries(${name} PRIVATE braid braid_warnings ${ARG_LIBS})
    set(corpus ${BRAID_FUZZ_DIR}/corpus/${name})
    set(scratch ${PROJECT_BINARY_DIR}/fuzz_work/${name})
    add_test(NAME ${name}
             COMMAND ${CMAKE_COMMAND} -DFUZZER=$<TARGET_FILE:${name}> -DCORPUS=${corpus}
                     -DWORK=${scratch} -DSECONDS=${BRAID_FUZZ_SECONDS}
                     -P ${BRAID_FUZZ_DIR}/run_fuzzer.cmake)
    math(EXPR timeout "${BRAID_FUZZ_SECONDS} + 120")
    set_tests_properties(${name} PROPERTIES LABELS fuzz TIMEOUT ${timeout})
  endfunction()

  braid_add_fuzzer(fuzz_model_load SOURCES ${BRAID_FUZZ_DIR}/fuzz_model_load.cpp)
  braid_add_fuzzer(fuzz_tensor_proto SOURCES ${BRAID_FUZZ_DIR}/fuzz_tensor_proto.cpp)
  braid_add_fuzzer(fuzz_bench_args SOURCES ${BRAID_FUZZ_DIR}/fuzz_bench_args.cpp
                   ${PROJECT_SOURCE_DIR}/benchmarks/harness/bench_options.cpp
                   INCLUDES ${PROJECT_SOURCE_DIR}/benchmarks/harness)
  braid_add_fuzzer(fuzz_host_graph SOURCES ${BRAID_FUZZ_DIR}/fuzz_host_graph.cpp)
endif()
