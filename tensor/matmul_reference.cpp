// The scalar GEMM the fast one is tested against: a triple loop summing in double, then the epilogue
// with the textbook formulas of tensor/activation.hpp, also in double. In bf16 the operands are rounded
// first, by scalar code written from the bits, so the fast path's vector rounding is checked too.

#include "tensor/matmul_reference.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

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

float round_to_bf16(float x) {
    std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
    if ((bits & 0x7fffffffu) > 0x7f800000u)
        bits = (bits | 0x00400000u) & 0xffff0000u;  // NaN: set the quiet bit, keep the sign
    else if ((bits & 0x7f800000u) == 0)
        bits &= 0x80000000u;  // zero or subnormal: a zero of its sign
    else
        // Adding just under half an ulp of bf16, plus one when the kept part is odd, carries into the kept
        // part exactly when the dropped part is above half, or half with an odd kept part. A carry out
        // of the largest finite value gives infinity.
        bits = (bits + 0x7fffu + ((bits >> 16) & 1u)) & 0xffff0000u;
    return std::bit_cast<float>(bits);
}

void gemm(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
          const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc,
          const GemmEpilogue& epilogue, Precision precision) {
    if (m < 0 || n < 0 || k < 0) throw std::invalid_argument("reference::gemm: negative size");
    if (precision == Precision::bf16) {
        // The product of the operands' rounded copies (each over its stored extent, rows times leading
        // dimension).
        const auto rounded = [](const float* x, std::int64_t rows, std::int64_t width, std::int64_t ld) {
            std::vector<float> copy(rows > 0 && width > 0 ? static_cast<std::size_t>((rows - 1) * ld + width) : 0);
            for (std::size_t i = 0; i < copy.size(); ++i) copy[i] = round_to_bf16(x[i]);
            return copy;
        };
        const std::vector<float> a_rounded = rounded(a, transpose_a ? k : m, transpose_a ? m : k, lda);
        const std::vector<float> b_rounded = rounded(b, transpose_b ? n : k, transpose_b ? k : n, ldb);
        reference::gemm(transpose_a, transpose_b, m, n, k, alpha, a_rounded.data(), lda, b_rounded.data(), ldb, beta,
                        c, ldc, epilogue, Precision::fp32);
        return;
    }
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
