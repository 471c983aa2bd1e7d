# The elementwise kernel family, plus the numpy-broadcasting helper (kernels/broadcast.h)
# that other families may reuse.
set(BRAID_EW_DIR ${CMAKE_CURRENT_LIST_DIR})
target_sources(braid PRIVATE
  ${BRAID_EW_DIR}/../broadcast.cpp
  ${BRAID_EW_DIR}/elementwise_registration.cpp
  ${BRAID_EW_DIR}/elementwise_common.cpp
  ${BRAID_EW_DIR}/elementwise_unary.cpp
  ${BRAID_EW_DIR}/elementwise_activation.cpp
  ${BRAID_EW_DIR}/elementwise_binary.cpp
  ${BRAID_EW_DIR}/elementwise_compare.cpp
  ${BRAID_EW_DIR}/elementwise_variadic.cpp
  ${BRAID_EW_DIR}/elementwise_cast.cpp
  ${BRAID_EW_DIR}/elementwise_softmax.cpp
  ${BRAID_EW_DIR}/elementwise_reduce.cpp
  ${BRAID_EW_DIR}/elementwise_argminmax.cpp
  ${BRAID_EW_DIR}/elementwise_topk.cpp
  ${BRAID_EW_DIR}/elementwise_cumsum.cpp
  ${BRAID_EW_DIR}/elementwise_simd.cpp
  ${BRAID_EW_DIR}/elementwise_simd_portable.cpp)

# The float32 loops are compiled once per ISA (elementwise_simd_loops.inc). The selects in
# exp/sigmoid/tanh only if-convert (and so vectorize) without trapping math; FP exception
# flags are not part of any kernel's contract.
set(BRAID_EW_SIMD_FLAGS -fno-trapping-math -fno-math-errno -ftree-vectorize)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  list(APPEND BRAID_EW_SIMD_FLAGS -fvect-cost-model=dynamic)  # GCC only (clang: BRAID_FUZZ)
  list(APPEND BRAID_EW_SIMD_FLAGS -Wno-psabi)  # internal vector-typed helpers (loops.inc)
endif()
set_source_files_properties(${BRAID_EW_DIR}/elementwise_simd_portable.cpp PROPERTIES
  COMPILE_OPTIONS "${BRAID_EW_SIMD_FLAGS}")
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|amd64|i.86")
  target_sources(braid PRIVATE
    ${BRAID_EW_DIR}/elementwise_simd_avx2.cpp
    ${BRAID_EW_DIR}/elementwise_simd_avx512.cpp)
  set_source_files_properties(${BRAID_EW_DIR}/elementwise_simd_avx2.cpp PROPERTIES
    COMPILE_OPTIONS "-mavx2;-mfma;-ffp-contract=fast;${BRAID_EW_SIMD_FLAGS}")
  set_source_files_properties(${BRAID_EW_DIR}/elementwise_simd_avx512.cpp PROPERTIES
    COMPILE_OPTIONS "-mavx512f;-mavx512bw;-mavx512vl;-mfma;-ffp-contract=fast;${BRAID_EW_SIMD_FLAGS}")
  set_source_files_properties(${BRAID_EW_DIR}/elementwise_simd.cpp PROPERTIES
    COMPILE_DEFINITIONS BRAID_ELEMENTWISE_X86_SIMD=1)
endif()
