// The small-product kernels of one instruction set (RowTimesMatrix, RowTimesTransposed, OuterProduct in
// tensor/arch/gemm_kernels.hpp). Included by gemm_impl.hpp, after the micro-kernel and the epilogue
// functions they share, inside the same per-set namespace.
//
// At batch 1 a dense layer's products are x · W (m = 1), dZ · Wᵀ (m = 1) and xᵀ · dZ (k = 1). The GEMM
// would compute each as whole mr x nr register tiles, 7 of every 8 rows of them padding; these kernels
// stream the weights once instead, at the speed of the cache they sit in (784 x 128 floats, 400 KB,
// fit in L2).

#if !defined(SMALLNET_ARCH_NAMESPACE)
#error "gemm_small_impl.hpp is included by gemm_impl.hpp"
#endif

namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE {

// The first `count` (< lanes) floats at `source` in a vector, zeros after them: edges are computed by
// the same vector instructions as the rest, without reading past the end of a row.
inline Vector load_first(const float* source, std::int64_t count) {
    alignas(64) float values[lanes] = {};
    for (std::int64_t j = 0; j < count; ++j) values[j] = source[j];
    return Vector::load_aligned(values);
}

inline void store_first(Vector vector, float* destination, std::int64_t count) {
    alignas(64) float values[lanes];
    vector.store_aligned(values);
    for (std::int64_t j = 0; j < count; ++j) destination[j] = values[j];
}

// A vector of `count` floats from `source`: all lanes, or the first `count` when `partial`.
template <bool partial>
inline Vector load_some(const float* source, std::int64_t count) {
    if constexpr (partial) return load_first(source, count);
    else return Vector::load_unaligned(source);
}

template <bool partial>
inline void store_some(Vector vector, float* destination, std::int64_t count) {
    if constexpr (partial) store_first(vector, destination, count);
    else vector.store_unaligned(destination);
}

// x * y, rounded on its own. g++ (default -ffp-contract=fast) would otherwise fuse it with the bias
// add that follows into one multiply-add, while the GEMM stores the product to C before its epilogue
// adds the bias: the empty asm makes the product a value the compiler cannot look through.
inline Vector multiply_rounded(Vector x, Vector y) {
    typename Vector::register_type product = x * y;
    asm("" : "+v"(product));
    return Vector(product);
}

// The micro-kernel's last step for one vector of C: alpha * sum, plus beta * old unless beta == 0
// (then C is only written). Same operations in the same order, so the same rounding.
inline Vector scale_sum(Vector sum, float alpha, float beta, Vector old) {
    if (beta == 0.0f) return multiply_rounded(sum, Vector(alpha));
    return multiply_add(sum, Vector(alpha), old * Vector(beta));
}

// ---------------------------------------------------------------------------------------------------
// row = x · B: `vectors` vectors of columns kept in registers through all of k, which is walked in the
// GEMM's k blocks so each element is rounded as the micro-kernel rounds it. b, row and bias point at
// the first column; `columns` matters only when `partial` (one vector, fewer than lanes columns).
template <int vectors, bool partial, class Function>
inline void row_columns(std::int64_t columns, std::int64_t k, float alpha, const float* x, std::int64_t x_stride,
                        const float* b, std::int64_t ldb, float beta, float* row, const float* bias,
                        Function function) {
    Vector out[vectors];
    std::int64_t k_begin = 0;
    do {
        const std::int64_t size = k - k_begin < k_block ? k - k_begin : k_block;
        Vector sum[vectors];
        for (int v = 0; v < vectors; ++v) sum[v] = Vector(0.0f);
        const float* x_at = x + k_begin * x_stride;
        const float* b_at = b + k_begin * ldb;
        // Not unrolled: unrolled 4 times, this loop streamed an L2-resident 784 x 128 B at 107 GB/s
        // instead of 170 on the Zen 5 we measure on (gemm_bench BM_batch1_forward_784x128, 3.7 us
        // against 2.35), though each copy of the body is the same 8 loads and multiply-adds.
#pragma GCC unroll 1
        for (std::int64_t p = 0; p < size; ++p) {
            const Vector x_value(*x_at);
            for (int v = 0; v < vectors; ++v)
                sum[v] = multiply_add(x_value, load_some<partial>(b_at + v * lanes, columns), sum[v]);
            x_at += x_stride;
            b_at += ldb;
        }
        // Later k blocks add to what the earlier ones left, as the GEMM does with beta = 1.
        for (int v = 0; v < vectors; ++v)
            out[v] = k_begin == 0 ? scale_sum(sum[v], alpha, beta,
                                              beta == 0.0f ? Vector(0.0f) : load_some<partial>(row + v * lanes, columns))
                                  : scale_sum(sum[v], alpha, 1.0f, out[v]);
        k_begin += size;
    } while (k_begin < k);

    for (int v = 0; v < vectors; ++v) {
        Vector value = out[v];
        if (bias) value += load_some<partial>(bias + v * lanes, columns);
        store_some<partial>(function(value), row + v * lanes, columns);
    }
}

template <class Function>
inline void row_times_matrix_with(std::int64_t n, std::int64_t k, float alpha, const float* x, std::int64_t x_stride,
                                  const float* b, std::int64_t ldb, float beta, float* row, const float* bias,
                                  Function function) {
    // 8 vectors of columns per pass over k: enough independent sums to hide the FMA latency, and the
    // loads of B (one per FMA) are what limits the speed anyway.
    std::int64_t j = 0;
    const auto offset = [&](const float* pointer) { return pointer ? pointer + j : nullptr; };
    for (; j + 8 * lanes <= n; j += 8 * lanes)
        row_columns<8, false>(lanes, k, alpha, x, x_stride, b + j, ldb, beta, row + j, offset(bias), function);
    if (j + 4 * lanes <= n) {
        row_columns<4, false>(lanes, k, alpha, x, x_stride, b + j, ldb, beta, row + j, offset(bias), function);
        j += 4 * lanes;
    }
    if (j + 2 * lanes <= n) {
        row_columns<2, false>(lanes, k, alpha, x, x_stride, b + j, ldb, beta, row + j, offset(bias), function);
        j += 2 * lanes;
    }
    if (j + lanes <= n) {
        row_columns<1, false>(lanes, k, alpha, x, x_stride, b + j, ldb, beta, row + j, offset(bias), function);
        j += lanes;
    }
    if (j < n) row_columns<1, true>(n - j, k, alpha, x, x_stride, b + j, ldb, beta, row + j, offset(bias), function);
}

void row_times_matrix(std::int64_t n, std::int64_t k, float alpha, const float* x, std::int64_t x_stride,
                      const float* b, std::int64_t ldb, float beta, float* row, const float* bias, Activation activation,
                      float negative_slope) {
    with_activation(activation, negative_slope, [&](auto function) {
        row_times_matrix_with(n, k, alpha, x, x_stride, b, ldb, beta, row, bias, function);
    });
}

// ---------------------------------------------------------------------------------------------------
// The dot product of x with one row of B (k floats): four sums over consecutive vectors, so the row is
// read as one sequential stream and the multiply-adds do not wait on each other, then added and
// reduced. Reading 16 rows at once with a sum each (one stream per row) took 4.0 us for the 128 x 784
// dZ · Wᵀ of the MNIST model against 2.4 us row by row (scratch timing, B in L2).
inline float row_dot(const float* x, const float* b_row, std::int64_t k) {
    const auto add_product = [&](std::int64_t at, Vector sum) {
        return multiply_add(Vector::load_unaligned(b_row + at), Vector::load_unaligned(x + at), sum);
    };
    Vector sum0(0.0f), sum1(0.0f), sum2(0.0f), sum3(0.0f);
    std::int64_t p = 0;
    for (; p + 4 * lanes <= k; p += 4 * lanes) {
        sum0 = add_product(p, sum0);
        sum1 = add_product(p + lanes, sum1);
        sum2 = add_product(p + 2 * lanes, sum2);
        sum3 = add_product(p + 3 * lanes, sum3);
    }
    for (; p + lanes <= k; p += lanes) sum0 = add_product(p, sum0);
    if (p < k) sum1 = multiply_add(load_first(b_row + p, k - p), load_first(x + p, k - p), sum1);
    return xsimd::hadd((sum0 + sum1) + (sum2 + sum3));
}

// row = x · Bᵀ for `rows` (lanes, or fewer when `partial`) rows of B: their dot products gathered in
// one vector, which then gets the epilogue as every other kernel's output does.
template <bool partial, class Function>
inline void row_dots(std::int64_t rows, std::int64_t k, float alpha, const float* x, const float* b, std::int64_t ldb,
                     float beta, float* row, const float* bias, Function function) {
    alignas(64) float dots[lanes] = {};
    for (std::int64_t r = 0; r < (partial ? rows : lanes); ++r) dots[r] = row_dot(x, b + r * ldb, k);
    Vector value = scale_sum(Vector::load_aligned(dots), alpha, beta,
                             beta == 0.0f ? Vector(0.0f) : load_some<partial>(row, rows));
    if (bias) value += load_some<partial>(bias, rows);
    store_some<partial>(function(value), row, rows);
}

void row_times_transposed(std::int64_t n, std::int64_t k, float alpha, const float* x, const float* b,
                          std::int64_t ldb, float beta, float* row, const float* bias, Activation activation,
                          float negative_slope) {
    with_activation(activation, negative_slope, [&](auto function) {
        std::int64_t j = 0;
        for (; j + lanes <= n; j += lanes)
            row_dots<false>(lanes, k, alpha, x, b + j * ldb, ldb, beta, row + j, bias ? bias + j : nullptr, function);
        if (j < n) row_dots<true>(n - j, k, alpha, x, b + j * ldb, ldb, beta, row + j, bias ? bias + j : nullptr, function);
    });
}

// ---------------------------------------------------------------------------------------------------
// C = a ⊗ b: each row of C is b scaled by one value of a. The sum starts from zero and takes one
// multiply-add, as the micro-kernel's does with kc == 1.
template <bool partial, class Function>
inline void scaled_row(std::int64_t columns, Vector a_value, const float* b, float alpha, float beta, float* out,
                       const float* bias, Function function) {
    const Vector sum = multiply_add(a_value, load_some<partial>(b, columns), Vector(0.0f));
    Vector value = scale_sum(sum, alpha, beta, beta == 0.0f ? Vector(0.0f) : load_some<partial>(out, columns));
    if (bias) value += load_some<partial>(bias, columns);
    store_some<partial>(function(value), out, columns);
}

// The rows of C, with beta == 0 (`accumulate` false) and the bias decided at compile time: at batch 1
// a row is a few vectors (128 columns: 8 on AVX-512) and C has hundreds of rows, so the loop around
// them must be as lean as the loop inside. Kept out of line so that each case gets its own registers.
template <bool accumulate, bool has_bias, class Function>
[[gnu::noinline]] void scale_rows(std::int64_t m, std::int64_t n, float alpha, const float* a, std::int64_t a_stride,
                                  const float* b, float beta, float* c, std::int64_t ldc, const float* bias,
                                  Function function) {
    const Vector alpha_vector(alpha), beta_vector(beta), zero(0.0f);
    const std::int64_t full = n / lanes * lanes;
    for (std::int64_t i = 0; i < m; ++i) {
        const Vector a_value(a[i * a_stride]);
        float* out = c + i * ldc;
#pragma GCC unroll 1  // as in row_columns: 3.3 us for 784 x 128 against 3.6 unrolled 4 times
        for (std::int64_t j = 0; j < full; j += lanes) {
            // scale_sum's arithmetic, with its branch on beta taken once for all rows.
            const Vector sum = multiply_add(a_value, Vector::load_unaligned(b + j), zero);
            Vector value = accumulate ? multiply_add(sum, alpha_vector, Vector::load_unaligned(out + j) * beta_vector)
                                      : multiply_rounded(sum, alpha_vector);
            if constexpr (has_bias) value += Vector::load_unaligned(bias + j);
            function(value).store_unaligned(out + j);
        }
        if (full < n)
            scaled_row<true>(n - full, a_value, b + full, alpha, beta, out + full, has_bias ? bias + full : nullptr,
                             function);
    }
}

void outer_product(std::int64_t m, std::int64_t n, float alpha, const float* a, std::int64_t a_stride, const float* b,
                   float beta, float* c, std::int64_t ldc, const float* bias, Activation activation,
                   float negative_slope) {
    with_activation(activation, negative_slope, [&](auto function) {
        if (beta == 0.0f) {
            if (bias) scale_rows<false, true>(m, n, alpha, a, a_stride, b, beta, c, ldc, bias, function);
            else scale_rows<false, false>(m, n, alpha, a, a_stride, b, beta, c, ldc, bias, function);
        } else {
            if (bias) scale_rows<true, true>(m, n, alpha, a, a_stride, b, beta, c, ldc, bias, function);
            else scale_rows<true, false>(m, n, alpha, a, a_stride, b, beta, c, ldc, bias, function);
        }
    });
}

}  // namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE
