# The RunTracer hook (src/trace, UnitExecutor): events per subgraph run on a bundled model.
braid_add_test(run_tracer_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/run_tracer_test.cpp TIMEOUT 60)
if(TARGET braid_models)
  add_dependencies(run_tracer_test braid_models)
endif()
