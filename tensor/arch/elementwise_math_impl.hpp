#pragma once
// Unary functions, their derivatives, and binary operators with a repeated (broadcast) operand, for
// one instruction set. Numerical traps are handled where each function is defined.

#include "tensor/arch/elementwise_common_impl.hpp"
#include "tensor/arch/sigmoid_impl.hpp"

namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE {

// log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): the exponential is at most 1, so nothing overflows.
inline Batch softplus_of(const Batch& x) {
    return xsimd::max(x, Batch(0.0f)) + xsimd::log1p(xsimd::exp(-xsimd::abs(x)));
}

template <class F>
inline void unary_with(F f, const float* x, float* y, std::int64_t n) {
    map(n, y, f, x);
}

inline void unary(UnaryOp op, const float* x, float* y, std::int64_t n, float parameter) {
    const Batch zero(0.0f);
    switch (op) {
        // NaN < 0 is false, so relu passes NaN on, as PyTorch does.
        case UnaryOp::relu: return unary_with([&](Batch v) { return xsimd::select(v < zero, zero, v); }, x, y, n);
        case UnaryOp::leaky_relu: {
            const Batch slope(parameter);
            return unary_with([&](Batch v) { return xsimd::select(v > zero, v, slope * v); }, x, y, n);
        }
        case UnaryOp::sigmoid: return unary_with([](Batch v) { return sigmoid_of(v); }, x, y, n);
        case UnaryOp::tanh: return unary_with([](Batch v) { return xsimd::tanh(v); }, x, y, n);
        case UnaryOp::softplus: return unary_with([](Batch v) { return softplus_of(v); }, x, y, n);
        case UnaryOp::exp: return unary_with([](Batch v) { return xsimd::exp(v); }, x, y, n);
        case UnaryOp::log: return unary_with([](Batch v) { return xsimd::log(v); }, x, y, n);
        case UnaryOp::neg: return unary_with([](Batch v) { return -v; }, x, y, n);
        case UnaryOp::abs: return unary_with([](Batch v) { return xsimd::abs(v); }, x, y, n);
        case UnaryOp::sqrt: return unary_with([](Batch v) { return xsimd::sqrt(v); }, x, y, n);
        case UnaryOp::square: return unary_with([](Batch v) { return v * v; }, x, y, n);
    }
}

// g(a, b) is the incoming gradient times f' where a, b are x or y; `accumulate` adds it to dx.
template <class G>
inline void backward_with(G g, const float* a, const float* dy, float* dx, std::int64_t n, bool accumulate) {
    if (accumulate)
        map(n, dx, [&](Batch v, Batch d, Batch old) { return old + g(v, d); }, a, dy, dx);
    else
        map(n, dx, g, a, dy);
}

inline void unary_backward(UnaryOp op, const float* x, const float* y, const float* dy, float* dx, std::int64_t n,
                           float parameter, bool accumulate) {
    const Batch zero(0.0f), one(1.0f);
    switch (op) {
        // relu'(0) = 0 and abs'(0) = 0, as PyTorch and TensorFlow; leaky_relu'(0) = slope.
        case UnaryOp::relu:
            return backward_with([&](Batch v, Batch d) { return xsimd::select(v > zero, d, zero); }, x, dy, dx, n,
                                 accumulate);
        case UnaryOp::leaky_relu: {
            const Batch slope(parameter);
            return backward_with([&](Batch v, Batch d) { return xsimd::select(v > zero, d, d * slope); }, x, dy, dx,
                                 n, accumulate);
        }
        case UnaryOp::sigmoid:
            return backward_with([&](Batch s, Batch d) { return d * (s * (one - s)); }, y, dy, dx, n, accumulate);
        case UnaryOp::tanh:
            return backward_with([&](Batch t, Batch d) { return d * (one - t * t); }, y, dy, dx, n, accumulate);
        case UnaryOp::softplus:
            return backward_with([](Batch v, Batch d) { return d * sigmoid_of(v); }, x, dy, dx, n, accumulate);
        case UnaryOp::exp:
            return backward_with([](Batch e, Batch d) { return d * e; }, y, dy, dx, n, accumulate);
        case UnaryOp::log:
            return backward_with([](Batch v, Batch d) { return d / v; }, x, dy, dx, n, accumulate);
        case UnaryOp::neg:
            return backward_with([](Batch, Batch d) { return -d; }, x, dy, dx, n, accumulate);
        case UnaryOp::abs:
            return backward_with(
                [&](Batch v, Batch d) { return xsimd::select(v > zero, d, xsimd::select(v < zero, -d, zero)); }, x,
                dy, dx, n, accumulate);
        case UnaryOp::sqrt: {
            const Batch half(0.5f);
            return backward_with([&](Batch r, Batch d) { return d * half / r; }, y, dy, dx, n, accumulate);
        }
        case UnaryOp::square: {
            const Batch two(2.0f);
            return backward_with([&](Batch v, Batch d) { return d * (two * v); }, x, dy, dx, n, accumulate);
        }
    }
}

// One row: the operand with step 0 is one value broadcast to every lane.
template <class F>
inline void binary_row(F f, const float* a, std::int64_t a_step, const float* b, std::int64_t b_step, float* out,
                       std::int64_t n) {
    if (a_step != 0 && b_step != 0) return map(n, out, f, a, b);
    if (a_step != 0) {
        const Batch right(*b);
        return map(n, out, [&](Batch left) { return f(left, right); }, a);
    }
    if (b_step != 0) {
        const Batch left(*a);
        return map(n, out, [&](Batch right) { return f(left, right); }, b);
    }
    const Batch value = f(Batch(*a), Batch(*b));
    map(n, out, [&]() { return value; });
}

template <class F>
inline void binary_rows_with(F f, const float* a, std::int64_t a_row_stride, std::int64_t a_step, const float* b,
                             std::int64_t b_row_stride, std::int64_t b_step, float* out, std::int64_t rows,
                             std::int64_t cols) {
    for (std::int64_t r = 0; r < rows; ++r)
        binary_row(f, a + r * a_row_stride, a_step, b + r * b_row_stride, b_step, out + r * cols, cols);
}

inline void binary_rows(BinaryOp op, const float* a, std::int64_t a_row_stride, std::int64_t a_step, const float* b,
                        std::int64_t b_row_stride, std::int64_t b_step, float* out, std::int64_t rows,
                        std::int64_t cols) {
    const auto run = [&](auto f) { binary_rows_with(f, a, a_row_stride, a_step, b, b_row_stride, b_step, out, rows, cols); };
    switch (op) {
        case BinaryOp::add: return run([](Batch l, Batch r) { return l + r; });
        case BinaryOp::sub: return run([](Batch l, Batch r) { return l - r; });
        case BinaryOp::mul: return run([](Batch l, Batch r) { return l * r; });
        case BinaryOp::div: return run([](Batch l, Batch r) { return l / r; });
        // NaN wins, as in NumPy's maximum/minimum (the hardware max returns its second operand instead).
        // xsimd::isnan, not l != l: xsimd 8.1's != is the ordered compare on AVX, false for NaN.
        case BinaryOp::maximum: return run([](Batch l, Batch r) { return xsimd::select((l > r) | xsimd::isnan(l), l, r); });
        case BinaryOp::minimum: return run([](Batch l, Batch r) { return xsimd::select((l < r) | xsimd::isnan(l), l, r); });
    }
}

}  // namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE
