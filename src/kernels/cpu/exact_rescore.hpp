#pragma once
// Position-independent rescoring for the CPU kernels. A BLAS GEMM may give a dot product
// different last bits depending on where its rows sit in the product (the OpenBLAS Haswell
// kernels do), so the kernels use the GEMM only to propose candidates: every candidate whose
// GEMM value lies within twice the GEMM error bound of the best is rescored here, and the
// decision and the value written come from the rescored number alone.
//
// Every product of two floats is exact in double, so a fused multiply-add gives the same bits
// as a separate multiply and add: the sums below are a function of the two vectors only, in
// every build (AVX-512, AVX2, baseline; contracted or not).

#include <cstdint>

namespace semdedup::kernels {

/// Σ_j a[j] b[j] in double: 32 fixed partial sums over j mod 32 (independent chains, so the
/// loop runs at the vector units' throughput), then a fixed reduction tree.
double fixed_order_dot(const float* a, const float* b, int64_t dim);

/// max(0, (aa + bb) - 2 ab) in double: the squared distance from three fixed_order_dot sums
/// (kernels cache the squared norms and call this).
double squared_distance_from_dots(double aa, double bb, double ab);

/// squared_distance_from_dots(Σ a², Σ b², Σ a·b), each sum a fixed_order_dot.
double fixed_order_squared_distance(const float* a, const float* b, int64_t dim);

/// γ_d = d·u / (1 - d·u), u = 2^-24: |fl(x·y) - x·y| <= γ_d Σ|x_j y_j| <= γ_d ‖x‖‖y‖ for a
/// float32 dot product of length d summed in any order, with or without fused multiply-adds.
double float_dot_error_factor(int64_t dim);

/// The same factor for the double sums above (u = 2^-53), plus the final subtraction.
double double_dot_error_factor(int64_t dim);

/// Slack for products that underflow: d · 2^-148 (twice the smallest float per term).
double float_underflow_slack(int64_t dim);

}  // namespace semdedup::kernels
