// The portable build of the pooling / normalization loops (flags set in misc.cmake).
#define BRAID_MISC_LOOPS_NAMESPACE portable
#define BRAID_MISC_LOOPS_ISA "portable"
#define BRAID_MISC_LOOPS_VECTOR_BYTES 16
#include "kernels/ops/misc_pool_norm_loops.inc"
