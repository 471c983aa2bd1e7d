# Long concurrency runs, for TSan and soak: not in the default run (ctest -L stress).
braid_add_test(scheduler_stress_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/scheduler_stress_test.cpp
               LABELS stress concurrency TIMEOUT 1800)
if(TARGET braid_models)
  add_dependencies(scheduler_stress_test braid_models)
endif()
braid_add_test(soak_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/soak_test.cpp LABELS soak TIMEOUT 3600)
if(TARGET braid_models)
  add_dependencies(soak_test braid_models)
endif()
