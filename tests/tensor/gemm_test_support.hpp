#pragma once
// The GEMM family's test helper: one product run through gemm() and reference::gemm() on the same
// random inputs, compared with a tolerance that grows with k.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "tensor/matmul.hpp"
#include "tensor/matmul_reference.hpp"
#include "tests/support.hpp"

namespace smallnet::testing {

struct Case {
    std::int64_t m, n, k;
    bool transpose_a = false;
    bool transpose_b = false;
    float alpha = 1.0f;
    float beta = 0.0f;
    std::int64_t padding = 0;  // extra elements at the end of every row of A, B and C
    GemmEpilogue epilogue = {};
    bool nan_in_c = false;  // fill C with NaN (only meaningful with beta == 0)
    Precision precision = Precision::fp32;
};

// Runs one case through gemm() and through reference::gemm() in `reference_precision` on the same
// inputs, and says how close they are. Products of values in [-1, 1] summed over k grow like sqrt(k), so
// the tolerance does too. In bf16 the reference rounds the operands as the GEMM does, so the same
// tolerance holds: what is left is fp32 accumulation error.
inline Closeness closeness_to_reference(const Case& c, std::uint64_t seed, Precision reference_precision) {
    const std::int64_t a_rows = c.transpose_a ? c.k : c.m, a_columns = c.transpose_a ? c.m : c.k;
    const std::int64_t b_rows = c.transpose_b ? c.n : c.k, b_columns = c.transpose_b ? c.k : c.n;
    const std::int64_t lda = a_columns + c.padding, ldb = b_columns + c.padding, ldc = c.n + c.padding;
    const Tensor a = testing::random_tensor({a_rows, lda}, seed, -1.0f, 1.0f);
    const Tensor b = testing::random_tensor({b_rows, ldb}, seed + 1, -1.0f, 1.0f);
    Tensor c_fast = testing::random_tensor({c.m, ldc}, seed + 2, -1.0f, 1.0f);
    if (c.nan_in_c) c_fast.fill(std::numeric_limits<float>::quiet_NaN());
    Tensor c_reference = c_fast.clone();

    // A leading dimension of an empty operand is still at least 1, as gemm() asks.
    const auto leading = [](std::int64_t size) { return std::max<std::int64_t>(size, 1); };
    gemm(c.transpose_a, c.transpose_b, c.m, c.n, c.k, c.alpha, a.data(), leading(lda), b.data(), leading(ldb), c.beta,
         c_fast.data(), leading(ldc), c.epilogue, c.precision);
    reference::gemm(c.transpose_a, c.transpose_b, c.m, c.n, c.k, c.alpha, a.data(), leading(lda), b.data(),
                    leading(ldb), c.beta, c_reference.data(), leading(ldc), c.epilogue, reference_precision);

    std::vector<double> expected(c_reference.values().begin(), c_reference.values().end());
    const double tolerance = 1e-5 * (1.0 + std::sqrt(static_cast<double>(c.k)));
    return testing::compare(c_fast, expected, tolerance, 1e-4);
}

inline void check_against_reference(const Case& c, std::uint64_t seed) {
    CAPTURE(c.m);
    CAPTURE(c.n);
    CAPTURE(c.k);
    CAPTURE(c.transpose_a);
    CAPTURE(c.transpose_b);
    CHECK_CLOSE(closeness_to_reference(c, seed, c.precision));
}

// matmul(a, b, options) gives bitwise the same product on 1, 2 and 3 threads.
inline void check_same_on_1_2_3_threads(const Tensor& a, const Tensor& b, const MatmulOptions& options) {
    Tensor one, two, three;
    with_threads(1, [&] { one = matmul(a, b, options); });
    with_threads(2, [&] { two = matmul(a, b, options); });
    with_threads(3, [&] { three = matmul(a, b, options); });
    CHECK(bitwise_equal(one, two));
    CHECK(bitwise_equal(one, three));
}

}  // namespace smallnet::testing
