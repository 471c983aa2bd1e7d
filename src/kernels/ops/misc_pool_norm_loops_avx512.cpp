// The avx512 build of the pooling / normalization loops (flags set in misc.cmake).
#define BRAID_MISC_LOOPS_NAMESPACE avx512
#define BRAID_MISC_LOOPS_ISA "avx512"
#define BRAID_MISC_LOOPS_VECTOR_BYTES 64
#include "kernels/ops/misc_pool_norm_loops.inc"
