// The nn kernel family: the compute-heavy ops on the GEMM core (src/kernels/gemm).
// Each file registers its ops through one function below, called from nn_registration.cpp.
#pragma once

namespace braid::detail {
class OpRegistry;
void register_nn_matmul(OpRegistry& r);          // MatMul (nn_matmul.cpp)
void register_nn_gemm(OpRegistry& r);            // Gemm (nn_gemm.cpp)
void register_nn_conv(OpRegistry& r);            // Conv (nn_conv.cpp)
void register_nn_conv_transpose(OpRegistry& r);  // ConvTranspose (nn_conv_transpose.cpp)
void register_nn_einsum(OpRegistry& r);          // Einsum (nn_einsum.cpp)
}  // namespace braid::detail
