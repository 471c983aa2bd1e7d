# Correctness against ONNX Runtime 1.30 (needs node + onnxruntime-node; skips otherwise).
braid_add_test(peer_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/peer_test.cpp LABELS peer TIMEOUT 900)
if(TARGET braid_models)
  add_dependencies(peer_test braid_models)
endif()
