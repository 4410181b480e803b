#pragma once
// Reductions for one instruction set: sums in a fixed order (float lanes within a block, blocks in
// double), maxima that let NaN win, and the finiteness test.

#include "tensor/arch/elementwise_common_impl.hpp"

namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE {

inline double sum(const float* x, std::int64_t n) {
    return blocked_sum(n, [](Batch v) { return v; }, x);
}

// `current` unless v is larger or NaN: a NaN, once in, stays (NaN > anything is false).
inline Batch max_keeping_nan(const Batch& current, const Batch& v) {
    return xsimd::select((v > current) | xsimd::isnan(v), v, current);
}

inline float max(const float* x, std::int64_t n) {
    const float lowest = -__builtin_inff();
    Batch acc0(lowest), acc1(lowest);
    std::int64_t i = 0;
    for (; i + 2 * lanes <= n; i += 2 * lanes) {
        acc0 = max_keeping_nan(acc0, Batch::load_unaligned(x + i));
        acc1 = max_keeping_nan(acc1, Batch::load_unaligned(x + i + lanes));
    }
    for (; i + lanes <= n; i += lanes) acc0 = max_keeping_nan(acc0, Batch::load_unaligned(x + i));
    if (i < n) acc1 = max_keeping_nan(acc1, load_partial(x + i, n - i, lowest));
    alignas(64) float values[lanes];
    max_keeping_nan(acc0, acc1).store_aligned(values);
    float result = values[0];
    for (std::int64_t k = 1; k < lanes; ++k)
        if (values[k] > result || values[k] != values[k]) result = values[k];
    return result;
}

// Column tiles of four vectors; a narrower last tile loads its partial vectors through the padded
// buffer, so every column is summed by the same lane arithmetic wherever it sits.
inline constexpr std::int64_t column_tile = 4 * lanes;

template <class Step, class Finish>
inline void column_tiles(const float* x, std::int64_t cols, std::int64_t stride, float fill, Step step,
                         Finish finish) {
    for (std::int64_t c0 = 0; c0 < cols; c0 += column_tile) {
        const std::int64_t width = cols - c0 < column_tile ? cols - c0 : column_tile;
        const std::int64_t vectors = (width + lanes - 1) / lanes;
        finish(c0, width, [&](std::int64_t r0, std::int64_t r1, Batch* acc) {
            for (std::int64_t r = r0; r < r1; ++r) {
                const float* row = x + r * stride + c0;
                if (width == column_tile) {
                    for (std::int64_t k = 0; k < 4; ++k) acc[k] = step(acc[k], Batch::load_unaligned(row + k * lanes));
                } else {
                    for (std::int64_t k = 0; k < vectors; ++k) {
                        const std::int64_t left = width - k * lanes;
                        acc[k] = step(acc[k], left >= lanes ? Batch::load_unaligned(row + k * lanes)
                                                            : load_partial(row + k * lanes, left, fill));
                    }
                }
            }
        });
    }
}

inline void column_sums(const float* x, std::int64_t rows, std::int64_t cols, std::int64_t stride, double scale,
                        float* out, bool accumulate) {
    const auto add = [](const Batch& acc, const Batch& v) { return acc + v; };
    column_tiles(x, cols, stride, 0.0f, add, [&](std::int64_t c0, std::int64_t width, auto accumulate_rows) {
        double totals[column_tile] = {};
        for (std::int64_t r0 = 0; r0 < rows; r0 += column_block_rows) {
            Batch acc[4] = {Batch(0.0f), Batch(0.0f), Batch(0.0f), Batch(0.0f)};
            accumulate_rows(r0, r0 + column_block_rows < rows ? r0 + column_block_rows : rows, acc);
            alignas(64) float partial[column_tile];
            for (std::int64_t k = 0; k < 4; ++k) acc[k].store_aligned(partial + k * lanes);
            for (std::int64_t q = 0; q < width; ++q) totals[q] += static_cast<double>(partial[q]);
        }
        for (std::int64_t q = 0; q < width; ++q) {
            const float value = static_cast<float>(totals[q] * scale);
            out[c0 + q] = accumulate ? out[c0 + q] + value : value;
        }
    });
}

inline void column_max(const float* x, std::int64_t rows, std::int64_t cols, std::int64_t stride, float* out) {
    const float lowest = -__builtin_inff();
    const auto keep = [](const Batch& acc, const Batch& v) { return max_keeping_nan(acc, v); };
    column_tiles(x, cols, stride, lowest, keep, [&](std::int64_t c0, std::int64_t width, auto accumulate_rows) {
        Batch acc[4] = {Batch(lowest), Batch(lowest), Batch(lowest), Batch(lowest)};
        accumulate_rows(0, rows, acc);
        alignas(64) float result[column_tile];
        for (std::int64_t k = 0; k < 4; ++k) acc[k].store_aligned(result + k * lanes);
        for (std::int64_t q = 0; q < width; ++q) out[c0 + q] = result[q];
    });
}

inline bool all_finite(const float* x, std::int64_t n) {
    // |v| <= FLT_MAX is false for infinities and for NaN (every comparison with NaN is).
    const Batch largest(__FLT_MAX__);
    for (std::int64_t block = 0; block < n; block += sum_block) {
        const std::int64_t end = block + sum_block < n ? block + sum_block : n;
        Mask finite = Batch(0.0f) == Batch(0.0f);
        std::int64_t i = block;
        for (; i + lanes <= end; i += lanes) finite = finite & (xsimd::abs(Batch::load_unaligned(x + i)) <= largest);
        if (i < end) finite = finite & (xsimd::abs(load_partial(x + i, end - i)) <= largest);
        if (!xsimd::all(finite)) return false;
    }
    return true;
}

}  // namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE
