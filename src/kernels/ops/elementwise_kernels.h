// The elementwise kernel family: unary math, activations, broadcasting binary ops and
// comparisons, variadic ops and Where, Cast, softmax, reductions, ArgMax/ArgMin, CumSum.
// Each file registers its ops through one of these; elementwise_registration.cpp calls them.
#pragma once

namespace braid::detail {
class OpRegistry;
void register_elementwise_unary(OpRegistry& r);
void register_elementwise_activation(OpRegistry& r);
void register_elementwise_binary(OpRegistry& r);
void register_elementwise_compare(OpRegistry& r);
void register_elementwise_variadic(OpRegistry& r);
void register_elementwise_cast(OpRegistry& r);
void register_elementwise_softmax(OpRegistry& r);
void register_elementwise_reduce(OpRegistry& r);
void register_elementwise_argminmax(OpRegistry& r);
void register_elementwise_topk(OpRegistry& r);
void register_elementwise_cumsum(OpRegistry& r);
}  // namespace braid::detail
