# Graph optimisation (fusion) tests (issue 3): rewrites on hand-made graphs, and every
# bundled and shared model with fusion on vs off.
braid_add_test(graph_optimizer_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/graph_optimizer_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/fusion_models_test.cpp
  LABELS opt
  TIMEOUT 900)
