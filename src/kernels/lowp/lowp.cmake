# Low-precision (bf16, int8) GEMM variants, each ISA in its own translation unit.
# (Included from kernels/sources.cmake.) -ffp-contract=off everywhere: the variants must
# round identically, so no TU may fuse a multiply and an add the others keep apart.
set(BRAID_LOWP_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/lowp_gemm.cpp
  ${CMAKE_CURRENT_LIST_DIR}/lowp_pack.cpp
  ${CMAKE_CURRENT_LIST_DIR}/lowp_probe.cpp
  ${CMAKE_CURRENT_LIST_DIR}/lowp_scalar.cpp)
target_sources(braid PRIVATE ${BRAID_LOWP_SOURCES})
set_source_files_properties(${BRAID_LOWP_SOURCES} PROPERTIES COMPILE_OPTIONS "-ffp-contract=off")
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|amd64")
  set(BRAID_LOWP_AVX512 "-ffp-contract=off;-mavx512f;-mavx512bw;-mavx512vl;-mfma")
  target_sources(braid PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/lowp_bf16_avx512.cpp
    ${CMAKE_CURRENT_LIST_DIR}/lowp_bf16_avx512bf16.cpp
    ${CMAKE_CURRENT_LIST_DIR}/lowp_int8_avx512.cpp
    ${CMAKE_CURRENT_LIST_DIR}/lowp_int8_vnni.cpp)
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/lowp_int8_avx512.cpp
    ${CMAKE_CURRENT_LIST_DIR}/lowp_bf16_avx512.cpp PROPERTIES COMPILE_OPTIONS "${BRAID_LOWP_AVX512}")
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/lowp_int8_vnni.cpp
    PROPERTIES COMPILE_OPTIONS "${BRAID_LOWP_AVX512};-mavx512vnni")
  # Built everywhere, run only where cpu_features().avx512_bf16, and chosen only where the
  # probe (lowp_probe.cpp) measures it fastest.
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/lowp_bf16_avx512bf16.cpp
    PROPERTIES COMPILE_OPTIONS "${BRAID_LOWP_AVX512};-mavx512bf16")
  # Likewise AMX: run where the CPU has AMX-BF16 and the OS grants the tile state.
  target_sources(braid PRIVATE ${CMAKE_CURRENT_LIST_DIR}/lowp_bf16_amx.cpp)
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/lowp_bf16_amx.cpp
    PROPERTIES COMPILE_OPTIONS "${BRAID_LOWP_AVX512};-mamx-tile;-mamx-bf16")
endif()
