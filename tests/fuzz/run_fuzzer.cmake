# Runs one libFuzzer target for SECONDS on a scratch copy of its seed corpus:
#   cmake -DFUZZER=bin -DCORPUS=dir -DWORK=scratch -DSECONDS=60 -P run_fuzzer.cmake
# New inputs go to WORK/corpus (the checked-in corpus is never written); a crash, leak,
# timeout (10 s per input) or out-of-memory (2 GiB) leaves its input in WORK/artifacts and
# fails the test.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/corpus ${WORK}/artifacts)
if(EXISTS ${CORPUS})
  file(GLOB seeds ${CORPUS}/*)
  if(seeds)
    file(COPY ${seeds} DESTINATION ${WORK}/corpus)
  endif()
endif()
execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -rss_limit_mb=2048 -timeout=10
          -print_final_stats=1 -artifact_prefix=${WORK}/artifacts/ ${WORK}/corpus
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (exit ${rc}); reproducer in ${WORK}/artifacts")
endif()
