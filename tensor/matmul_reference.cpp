// The scalar GEMM the fast one is tested against: a triple loop summing in double, then the epilogue
// with the textbook formulas of tensor/activation.hpp, also in double.

#include "tensor/matmul_reference.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace smallnet::reference {

double activate(double x, Activation activation, double negative_slope) {
    switch (activation) {
        case Activation::linear: return x;
        case Activation::relu: return x > 0.0 ? x : 0.0;
        case Activation::leaky_relu: return x > 0.0 ? x : negative_slope * x;
        case Activation::sigmoid:
            // Split by sign so exp never overflows.
            return x >= 0.0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x));
        case Activation::tanh: return std::tanh(x);
        case Activation::softplus: return std::max(x, 0.0) + std::log1p(std::exp(-std::fabs(x)));
        case Activation::softmax: throw std::invalid_argument("reference::activate: softmax is not element-wise");
    }
    return x;
}

void gemm(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
          const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc,
          const GemmEpilogue& epilogue) {
    if (m < 0 || n < 0 || k < 0) throw std::invalid_argument("reference::gemm: negative size");
    for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < n; ++j) {
            double sum = 0.0;
            for (std::int64_t p = 0; p < k; ++p) {
                const double a_value = transpose_a ? a[p * lda + i] : a[i * lda + p];
                const double b_value = transpose_b ? b[j * ldb + p] : b[p * ldb + j];
                sum += a_value * b_value;
            }
            float& out = c[i * ldc + j];
            // beta == 0: C is write-only, so a NaN already there does not leak into the result.
            double value = static_cast<double>(alpha) * sum + (beta == 0.0f ? 0.0 : static_cast<double>(beta) * out);
            if (epilogue.bias) value += epilogue.bias[j];
            out = static_cast<float>(activate(value, epilogue.activation, epilogue.negative_slope));
        }
}

}  // namespace smallnet::reference
