# The f32 GEMM core (included from kernels/ops/nn.cmake). Each ISA variant is its own
# translation unit with its own flags; no -march=native.
target_sources(braid PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/gemm.cpp
  ${CMAKE_CURRENT_LIST_DIR}/gemm_scalar.cpp)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|amd64")
  target_sources(braid PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/gemm_avx2.cpp
    ${CMAKE_CURRENT_LIST_DIR}/gemm_avx512.cpp)
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/gemm_avx2.cpp
    PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma")
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/gemm_avx512.cpp
    PROPERTIES COMPILE_OPTIONS "-mavx512f;-mavx512bw;-mavx512vl;-mfma")
endif()
