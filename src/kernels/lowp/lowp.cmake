# Low-precision (bf16, int8) GEMM variants, each ISA in its own translation unit.
# (Included from kernels/sources.cmake.)
