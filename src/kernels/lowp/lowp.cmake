# Low-precision (bf16, int8) GEMM variants, each ISA in its own translation unit.
# (Included from kernels/sources.cmake.) -ffp-contract=off everywhere: the variants must
# round identically, so no TU may fuse a multiply and an add the others keep apart.
set(BRAID_LOWP_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/lowp_gemm.cpp
  ${CMAKE_CURRENT_LIST_DIR}/lowp_pack.cpp
  ${CMAKE_CURRENT_LIST_DIR}/lowp_scalar.cpp)
target_sources(braid PRIVATE ${BRAID_LOWP_SOURCES})
set_source_files_properties(${BRAID_LOWP_SOURCES} PROPERTIES COMPILE_OPTIONS "-ffp-contract=off")
