// The misc kernel family: pooling, normalization, quantization, recurrent (LSTM/GRU/RNN)
// and detection (NonMaxSuppression) kernels. Each file registers its ops through one of
// these, called from misc_registration.cpp. Shared helpers live in braid::detail::misc.
#pragma once

namespace braid::detail {
class OpRegistry;

void register_misc_pool_kernels(OpRegistry& r);         // misc_pool.cpp: MaxPool, AveragePool, LpPool
void register_misc_global_pool_kernels(OpRegistry& r);  // misc_global_pool.cpp: Global{Average,Max,Lp}Pool
void register_misc_max_unpool_kernel(OpRegistry& r);    // misc_max_unpool.cpp
void register_misc_batch_norm_kernels(OpRegistry& r);   // misc_batch_norm.cpp: Batch/InstanceNormalization
void register_misc_layer_norm_kernel(OpRegistry& r);    // misc_layer_norm.cpp
void register_misc_lrn_mvn_kernels(OpRegistry& r);      // misc_lrn_mvn.cpp: LRN, MeanVarianceNormalization
void register_misc_quant_kernels(OpRegistry& r);        // misc_quant.cpp: (De)QuantizeLinear, DynamicQuantizeLinear
void register_misc_quant_matmul_kernels(OpRegistry& r); // misc_quant_matmul.cpp: MatMulInteger, QLinearMatMul
void register_misc_quant_conv_kernels(OpRegistry& r);   // misc_quant_conv.cpp: ConvInteger, QLinearConv
void register_misc_rnn_kernels(OpRegistry& r);          // misc_rnn.cpp: LSTM, GRU, RNN
void register_misc_nms_kernel(OpRegistry& r);           // misc_nms.cpp: NonMaxSuppression

}  // namespace braid::detail
