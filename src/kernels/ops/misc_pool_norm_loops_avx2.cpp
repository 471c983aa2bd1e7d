// The avx2 build of the pooling / normalization loops (flags set in misc.cmake).
#define BRAID_MISC_LOOPS_NAMESPACE avx2
#define BRAID_MISC_LOOPS_ISA "avx2"
#define BRAID_MISC_LOOPS_VECTOR_BYTES 32
#include "kernels/ops/misc_pool_norm_loops.inc"
