// The bf16 GEMM (Precision::bf16) against the double-precision reference that rounds its operands to
// bf16 first (reference::round_to_bf16, scalar code written from the bits): the rounding itself, bit
// for bit against the vector instructions; sizes around the register tile and cache blocks with every
// transpose; alpha, beta and the epilogue; thread-count independence; and the error on a CPU (or an
// active instruction set) without AVX512_BF16.
//
// Tolerance: that of the fp32 GEMM's tests (gemm_test_support.hpp), absolute 1e-5 (1 + sqrt k) and
// relative 1e-4. With the operands rounded alike, the GEMM and the reference differ only by the fp32
// rounding of the running sums (about 6e-8 of partial sums of size sqrt(k) / 3 for values in [-1, 1]),
// far inside it; rounding the operands wrongly (truncating, or not at all) moves a sum by about
// 2^-9 sqrt(k) / 3, far outside it ("the rounding is not skipped" checks that this is so).

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "tensor/gemm_parallel.hpp"
#include "tensor/matmul.hpp"
#include "tensor/matmul_reference.hpp"
#include "tensor/precision.hpp"
#include "tensor/simd.hpp"
#include "tensor/softmax.hpp"
#include "tensor/threads.hpp"
#include "tests/support.hpp"
#include "tests/tensor/gemm_test_support.hpp"

namespace smallnet {
namespace {

using testing::Case;
using testing::check_against_reference;

// Whether the bf16 kernels run here; says why not when they do not, so a skip is never a silent pass.
// Where they run, it opens one doctest subcase per bf16 set this CPU runs (AMX, AVX512_BF16), so the
// test case runs once with each; the set chosen at the first call runs last, so it is the one left chosen.
bool bf16_runs() {
    if (bf16_instruction_set() == Bf16InstructionSet::none) {
        MESSAGE("skipped: no bf16 kernel runs here (the CPU lacks AVX512_BF16, or SMALLNET_SIMD chose a set below "
                "avx512)");
        return false;
    }
    static const Bf16InstructionSet chosen_first = bf16_instruction_set();
    std::vector<Bf16InstructionSet> sets;
    for (Bf16InstructionSet set : available_bf16_instruction_sets())
        if (set != chosen_first) sets.push_back(set);
    sets.push_back(chosen_first);
    for (Bf16InstructionSet set : sets)
        SUBCASE(instruction_set_name(set).data()) { set_bf16_instruction_set(set); }
    return true;
}

Case bf16_case(Case c) {
    c.precision = Precision::bf16;
    return c;
}

float from_bits(std::uint32_t bits) { return std::bit_cast<float>(bits); }
std::uint32_t bits_of(float x) { return std::bit_cast<std::uint32_t>(x); }

TEST_SUITE("tensor.gemm_bf16") {
    TEST_CASE("the scalar rounding to bf16: nearest, ties to even, infinities, NaN, subnormals") {
        using reference::round_to_bf16;
        // 1 + 2^-8 is halfway between the bf16 values 1 and 1 + 2^-7: the even one, 1, wins; 1 + 3 * 2^-8 is
        // halfway between 1 + 2^-7 (odd) and 1 + 2^-6: up. Just above half rounds up, just below down.
        CHECK(bits_of(round_to_bf16(from_bits(0x3f808000u))) == 0x3f800000u);
        CHECK(bits_of(round_to_bf16(from_bits(0x3f818000u))) == 0x3f820000u);
        CHECK(bits_of(round_to_bf16(from_bits(0x3f808001u))) == 0x3f810000u);
        CHECK(bits_of(round_to_bf16(from_bits(0x3f807fffu))) == 0x3f800000u);
        CHECK(bits_of(round_to_bf16(from_bits(0xbf818000u))) == 0xbf820000u);  // the same, negative
        CHECK(round_to_bf16(1.0f) == 1.0f);
        CHECK(round_to_bf16(-0.0f) == 0.0f);
        CHECK(std::signbit(round_to_bf16(-0.0f)));
        // The largest finite fp32 rounds past bf16's largest finite value: to infinity.
        CHECK(round_to_bf16(std::numeric_limits<float>::max()) == std::numeric_limits<float>::infinity());
        CHECK(bits_of(round_to_bf16(from_bits(0x7f7f7fffu))) == 0x7f7f0000u);  // bf16's largest stays
        CHECK(round_to_bf16(std::numeric_limits<float>::infinity()) == std::numeric_limits<float>::infinity());
        CHECK(round_to_bf16(-std::numeric_limits<float>::infinity()) == -std::numeric_limits<float>::infinity());
        // NaN stays NaN, even one whose payload is all in the dropped half (it would round to infinity).
        CHECK(bits_of(round_to_bf16(from_bits(0x7f800001u))) == 0x7fc00000u);
        CHECK(bits_of(round_to_bf16(from_bits(0xff800001u))) == 0xffc00000u);
        CHECK(std::isnan(round_to_bf16(std::numeric_limits<float>::quiet_NaN())));
        // fp32 subnormals are zeros to vcvtne2ps2bf16; the smallest normal stays.
        CHECK(bits_of(round_to_bf16(from_bits(0x00400001u))) == 0x00000000u);
        CHECK(bits_of(round_to_bf16(from_bits(0x807fffffu))) == 0x80000000u);
        CHECK(bits_of(round_to_bf16(from_bits(0x00800000u))) == 0x00800000u);
    }

    TEST_CASE("the kernels round as the scalar rounding does, bit for bit, through each packing") {
        if (!bf16_runs()) return;
        // Every sign, exponent and high mantissa (all 65536 bf16 patterns) with low halves below, at and
        // above the tie, and the extremes: 393216 values, each multiplied by 1 in a product with k = 1,
        // whose result is then the value's bf16 exactly (a zero may lose its sign: 0 + -0 is +0).
        std::vector<float> values;
        for (std::uint32_t high = 0; high < 0x10000u; ++high)
            for (std::uint32_t low : {0x0000u, 0x0001u, 0x7fffu, 0x8000u, 0x8001u, 0xffffu})
                values.push_back(from_bits(high << 16 | low));
        const std::int64_t count = static_cast<std::int64_t>(values.size());
        const float one = 1.0f;
        std::vector<float> result(values.size());
        const auto check_result = [&](const std::string& route, const std::vector<float>& inputs = {}) {
            CAPTURE(route);
            const std::vector<float>& from = inputs.empty() ? values : inputs;
            std::int64_t wrong = 0, first_wrong = -1;
            for (std::int64_t i = 0; i < count; ++i) {
                const float expected = reference::round_to_bf16(from[static_cast<std::size_t>(i)]);
                const float actual = result[static_cast<std::size_t>(i)];
                if (!(actual == expected || (std::isnan(actual) && std::isnan(expected)))) {
                    if (first_wrong < 0) first_wrong = i;
                    ++wrong;
                }
            }
            INFO("first wrong input bits: " << (first_wrong < 0 ? 0u : bits_of(values[static_cast<std::size_t>(first_wrong)])));
            CHECK(wrong == 0);
        };
        // Each value as the low, then the high, half of a pair whose other half is 0, times a pair (1, 0),
        // then (0, 1): both halves of a pair round alike. A has k = 2 here so the products go through the
        // tiles (k = 1 and one row of C have routes of their own, below); B is then two rows of C's width.
        std::vector<float> pairs(2 * values.size(), 0.0f), both_rows(2 * values.size());
        for (int half : {0, 1}) {
            for (std::int64_t i = 0; i < count; ++i) {
                pairs[static_cast<std::size_t>(2 * i + half)] = values[static_cast<std::size_t>(i)];
                pairs[static_cast<std::size_t>(2 * i + 1 - half)] = 0.0f;
            }
            const float picker[4] = {half == 0 ? 1.0f : 0.0f, half == 1 ? 1.0f : 0.0f, half == 0 ? 1.0f : 0.0f,
                                     half == 1 ? 1.0f : 0.0f};
            gemm(false, false, count, 1, 2, 1.0f, pairs.data(), 2, picker, 1, 0.0f, result.data(), 1, {},
                 Precision::bf16);
            check_result(half == 0 ? "A, tiles (pack_pairs_columns), low half" : "A, tiles, high half");
            // B transposed (count x 2): its rows are the pairs; C has 2 rows, the first checked.
            gemm(false, true, 2, count, 2, 1.0f, picker, 2, pairs.data(), 2, 0.0f, both_rows.data(), count, {},
                 Precision::bf16);
            std::copy(both_rows.begin(), both_rows.begin() + count, result.begin());
            check_result(half == 0 ? "B transposed, tiles (pack_pairs_columns), low half"
                                   : "B transposed, tiles, high half");
        }
        // The values as row 0 of a 2 x count operand whose row 1 is zeros: A transposed and B, through the
        // tiles (pack_pairs_rows).
        std::vector<float> two_rows(2 * values.size(), 0.0f);
        std::copy(values.begin(), values.end(), two_rows.begin());
        const float one_zero[4] = {1.0f, 0.0f, 1.0f, 0.0f};
        gemm(true, false, count, 1, 2, 1.0f, two_rows.data(), count, one_zero, 1, 0.0f, result.data(), 1, {},
             Precision::bf16);
        check_result("A transposed, tiles (pack_pairs_rows)");
        gemm(false, false, 2, count, 2, 1.0f, one_zero, 2, two_rows.data(), count, 0.0f, both_rows.data(), count, {},
             Precision::bf16);
        std::copy(both_rows.begin(), both_rows.begin() + count, result.begin());
        check_result("B, tiles (pack_pairs_rows)");
        // k = 1: outer_product rounds a column of A itself and B as a packed row.
        for (bool transpose : {false, true}) {
            gemm(transpose, false, count, 1, 1, 1.0f, values.data(), transpose ? count : 1, &one, 1, 0.0f,
                 result.data(), 1, {}, Precision::bf16);
            check_result(transpose ? "A transposed, k = 1 (outer_product)" : "A, k = 1 (outer_product)");
            gemm(false, transpose, 2, count, 1, 1.0f, one_zero, 2, values.data(), transpose ? 1 : count, 0.0f,
                 both_rows.data(), count, {}, Precision::bf16);
            std::copy(both_rows.begin(), both_rows.begin() + count, result.begin());
            check_result(transpose ? "B transposed, k = 1 (outer_product)" : "B, k = 1 (outer_product)");
        }
        // One row of C: B through row_times_rows, and transposed through row_times_transposed.
        for (bool transpose : {false, true}) {
            gemm(false, transpose, 1, count, 1, 1.0f, &one, 1, values.data(), transpose ? 1 : count, 0.0f,
                 result.data(), count, {}, Precision::bf16);
            check_result(transpose ? "B transposed, one row (row_times_transposed)" : "B, one row (row_times_rows)");
        }
        // row_times_transposed's x, 32 values at a time (one vector of pairs) against an identity B, so each
        // value comes out alone at its own place: contiguous, and strided (a transposed A 2 columns wide).
        // Values that round to an infinity or a NaN are zeros here, since 0 times them is a NaN in every
        // other place of their run.
        std::vector<float> identity(32 * 32, 0.0f), strided(2 * 32, 0.0f), finite(values);
        for (std::size_t i = 0; i < 32; ++i) identity[i * 32 + i] = 1.0f;
        for (float& value : finite)
            if (!std::isfinite(reference::round_to_bf16(value))) value = 0.0f;
        for (bool transpose : {false, true}) {
            for (std::int64_t start = 0; start < count; start += 32) {
                const float* x = finite.data() + start;
                if (transpose)
                    for (std::int64_t p = 0; p < 32; ++p) strided[static_cast<std::size_t>(2 * p)] = x[p];
                gemm(transpose, true, 1, 32, 32, 1.0f, transpose ? strided.data() : x, transpose ? 2 : 32,
                     identity.data(), 32, 0.0f, result.data() + start, 32, {}, Precision::bf16);
            }
            check_result(transpose ? "x strided, one row (row_times_transposed)" : "x, one row (row_times_transposed)",
                         finite);
        }
    }

    TEST_CASE("batch 1 gradients: one row of C times a transposed B, and k = 1") {
        if (!bf16_runs()) return;
        // dY · Wᵀ at batch 1 (m = 1, B transposed: row_times_transposed) against the reference: k around the
        // 32 values of a vector of pairs and its 4 sums, with alpha, beta, padded rows (a strided x when A is
        // transposed) and an epilogue.
        std::uint64_t seed = 800;
        for (std::int64_t k : {0, 1, 3, 17, 31, 32, 33, 127, 128, 255, 257, 784, 1030})
            for (std::int64_t n : {1, 3, 17, 255, 257})
                for (bool transpose_a : {false, true}) {
                    check_against_reference(bf16_case({1, n, k, transpose_a, true}), ++seed);
                    check_against_reference(bf16_case({1, n, k, transpose_a, true, -0.5f, 1.5f, 3}), ++seed);
                }
        Case with_epilogue = bf16_case({1, 70, 129, false, true, 1.0f, 0.5f});
        const Tensor bias = testing::random_tensor({70}, 7);
        with_epilogue.epilogue = {bias.data(), Activation::tanh, 0.0f};
        check_against_reference(with_epilogue, ++seed);
        // k = 1 (outer_product) against the reference, every transpose, alpha and beta, padded rows.
        for (std::int64_t m : {2, 3, 17, 255, 257, 784})
            for (std::int64_t n : {1, 3, 17, 128, 257})
                for (bool transpose_a : {false, true})
                    for (bool transpose_b : {false, true}) {
                        check_against_reference(bf16_case({m, n, 1, transpose_a, transpose_b}), ++seed);
                        check_against_reference(bf16_case({m, n, 1, transpose_a, transpose_b, 2.0f, -1.0f, 5}), ++seed);
                    }
        // k = 1 is bitwise the tiles' product of one pair whose second half is zero (k = 2, A's second
        // column and B's second row zero), epilogue included; and a C that is worth two threads (tiles on
        // 2 and 3 threads, outer_product on 1) is bitwise the same on each.
        for (std::int64_t m : {2, 17, 257})
            for (std::int64_t n : {1, 17, 130})
                for (bool transpose_a : {false, true})
                    for (bool transpose_b : {false, true})
                        for (int variant = 0; variant < 3; ++variant) {
                            CAPTURE(m);
                            CAPTURE(n);
                            CAPTURE(transpose_a);
                            CAPTURE(transpose_b);
                            CAPTURE(variant);
                            // A's column and B's row, and the same with a zero second pair half, in the
                            // layout each transpose reads.
                            const Tensor column = testing::random_tensor({m}, ++seed);
                            const Tensor row = testing::random_tensor({n}, ++seed);
                            const Tensor bias_n = testing::random_tensor({n}, ++seed);
                            Tensor a_two = zeros({2 * m}), b_two = zeros({2 * n});
                            for (std::int64_t i = 0; i < m; ++i)
                                a_two.data()[transpose_a ? i : 2 * i] = column.data()[i];
                            for (std::int64_t j = 0; j < n; ++j) b_two.data()[transpose_b ? 2 * j : j] = row.data()[j];
                            // Plain with beta; beta == 0 over a C of NaN (only written); bias and activation.
                            const float beta = variant == 1 ? 0.0f : 0.5f;
                            const GemmEpilogue epilogue =
                                variant == 2 ? GemmEpilogue{bias_n.data(), Activation::sigmoid, 0.0f} : GemmEpilogue{};
                            Tensor old_c = testing::random_tensor({m, n}, ++seed);
                            if (variant == 1) old_c.fill(std::numeric_limits<float>::quiet_NaN());
                            Tensor outer = old_c.clone(), tiles = old_c.clone();
                            gemm(transpose_a, transpose_b, m, n, 1, 1.5f, column.data(), transpose_a ? m : 1,
                                 row.data(), transpose_b ? 1 : n, beta, outer.data(), n, epilogue, Precision::bf16);
                            gemm(transpose_a, transpose_b, m, n, 2, 1.5f, a_two.data(), transpose_a ? m : 2,
                                 b_two.data(), transpose_b ? 2 : n, beta, tiles.data(), n, epilogue, Precision::bf16);
                            CHECK(testing::bitwise_equal(outer, tiles));
                        }
        // 4000 x 1000 x 1 is worth two threads, so 2 and 3 threads take the tiles where 1 takes outer_product.
        CHECK(detail::flops_of(4000, 1000, 1) >= detail::parallel_threshold_flops);
        const Tensor tall = testing::random_tensor({4000, 1}, ++seed), wide = testing::random_tensor({1, 1000}, ++seed);
        testing::check_same_on_1_2_3_threads(tall, wide, {.precision = Precision::bf16});
        // beta == 0 over a C of NaN on each batch-1 route: C is only written.
        for (bool transpose_b : {false, true}) {
            Case one_row = bf16_case({1, 70, 129, false, transpose_b});
            one_row.nan_in_c = true;
            check_against_reference(one_row, ++seed);
            Case k_one = bf16_case({37, 70, 1, transpose_b, transpose_b});
            k_one.nan_in_c = true;
            check_against_reference(k_one, ++seed);
        }
    }

    TEST_CASE("awkward sizes in each of m, n and k, with every transpose") {
        if (!bf16_runs()) return;
        const std::vector<std::int64_t> sizes = {0, 1, 3, 17, 255, 257};
        std::uint64_t seed = 10;
        for (bool transpose_a : {false, true})
            for (bool transpose_b : {false, true}) {
                for (std::int64_t size : sizes) {
                    // One dimension at a time around sizes that are not tile multiples; k odd or even.
                    check_against_reference(bf16_case({size, 19, 33, transpose_a, transpose_b}), ++seed);
                    check_against_reference(bf16_case({21, size, 33, transpose_a, transpose_b}), ++seed);
                    check_against_reference(bf16_case({21, 19, size, transpose_a, transpose_b}), ++seed);
                }
                check_against_reference(bf16_case({64, 64, 64, transpose_a, transpose_b}), ++seed);
            }
        // k even (whole pairs) with a partial last tile of rows, beside the odd k above.
        for (std::int64_t size : {1, 3, 17, 255, 257})
            for (bool transpose_b : {false, true}) {
                check_against_reference(bf16_case({size, 19, 34, false, transpose_b}), ++seed);
                check_against_reference(bf16_case({21, 19, size + 1, false, transpose_b}), ++seed);
            }
        check_against_reference(bf16_case({257, 255, 258}), ++seed);
        check_against_reference(bf16_case({255, 257, 255, true, true}), ++seed);
        // Past each cache block (mc = 256 rows, kc = 512 on avx512_bf16 and 1024 on AMX, nc = 1024 columns),
        // so blocks are chained; k = 1030 ends with a short block of 6 on both.
        check_against_reference(bf16_case({264, 24, 1030, false, false}), ++seed);
        check_against_reference(bf16_case({264, 24, 1030, true, true}), ++seed);
        check_against_reference(bf16_case({12, 1030, 520, false, true}), ++seed);
        check_against_reference(bf16_case({12, 1030, 520, true, false}), ++seed);
    }

    TEST_CASE("the training step's shapes") {
        if (!bf16_runs()) return;
        // x · W, xᵀ · dY and dY · Wᵀ of the 784 x 128 layer at batch 256; dY · Wᵀ of the 32 x 128 one, and
        // the fourth transpose pair.
        std::uint64_t seed = 100;
        check_against_reference(bf16_case({256, 128, 784, false, false}), ++seed);
        check_against_reference(bf16_case({784, 128, 256, true, false}), ++seed);
        check_against_reference(bf16_case({256, 784, 128, false, true}), ++seed);
        check_against_reference(bf16_case({256, 128, 32, false, true}), ++seed);
        check_against_reference(bf16_case({256, 32, 128, true, true}), ++seed);
    }

    TEST_CASE("one row (batch 1) streams B instead of packing it, and gives bitwise that row of a larger product") {
        if (!bf16_runs()) return;
        // Rows of an 9-row product, each computed alone (m = 1), against the 9-row product's rows; 9 rows
        // put the last in a partial tile. k = 1030 chains k blocks (three of kc = 512, two of 1024 on AMX)
        // with an odd end.
        std::uint64_t seed = 700;
        const std::int64_t rows = 9;
        for (std::int64_t k : {0, 1, 2, 3, 17, 256, 1030})
            for (std::int64_t n : {1, 3, 17, 64, 255, 257})
                for (bool transpose_a : {false, true})
                    for (int variant = 0; variant < 3; ++variant) {
                        CAPTURE(k);
                        CAPTURE(n);
                        CAPTURE(transpose_a);
                        CAPTURE(variant);
                        const Tensor a = transpose_a ? testing::random_tensor({k, rows}, ++seed)
                                                     : testing::random_tensor({rows, k}, ++seed);
                        const Tensor b = testing::random_tensor({k, n}, ++seed);
                        const Tensor bias = testing::random_tensor({n}, ++seed);
                        const Tensor old_c = testing::random_tensor({rows, n}, ++seed);
                        // Plain; alpha and beta; the epilogue (a different activation for each n).
                        const float alpha = variant == 1 ? 0.75f : 1.0f, beta = variant == 1 ? 0.5f : 0.0f;
                        const Activation activations[] = {Activation::relu, Activation::sigmoid, Activation::tanh,
                                                          Activation::leaky_relu, Activation::softplus, Activation::linear};
                        const GemmEpilogue epilogue =
                            variant == 2 ? GemmEpilogue{bias.data(), activations[n % 6], 0.2f} : GemmEpilogue{};
                        Tensor whole = old_c.clone();
                        gemm(transpose_a, false, rows, n, k, alpha, a.data(), transpose_a ? rows : k, b.data(), n,
                             beta, whole.data(), n, epilogue, Precision::bf16);
                        Tensor each = old_c.clone();
                        for (std::int64_t r = 0; r < rows; ++r)
                            gemm(transpose_a, false, 1, n, k, alpha, a.data() + (transpose_a ? r : r * k),
                                 transpose_a ? rows : k, b.data(), n, beta, each.data() + r * n, n, epilogue,
                                 Precision::bf16);
                        // AMX sums each pair in the other order from vdpbf16ps, which runs one row there
                        // too: the rows are then only close (at most a few fp32 roundings of the sums apart).
                        if (bf16_instruction_set() == Bf16InstructionSet::amx_bf16) {
                            float largest = 0.0f;
                            for (std::int64_t i = 0; i < each.numel(); ++i)
                                largest = std::max(largest, std::abs(each.data()[i] - whole.data()[i]));
                            CHECK(largest <= 1e-5f * (1.0f + std::sqrt(static_cast<float>(k))));
                        } else
                            CHECK(testing::bitwise_equal(each, whole));
                    }
        // And against the reference, with leading dimensions wider than the rows.
        check_against_reference(bf16_case({1, 300, 1030, false, false, 1.5f, 0.5f, 3}), ++seed);
        check_against_reference(bf16_case({1, 70, 33, true, false, 1.0f, 0.0f, 5}), ++seed);
    }

    TEST_CASE("the rounding is not skipped: the fp32 reference is out of tolerance") {
        if (!bf16_runs()) return;
        const Case c = bf16_case({37, 45, 255});
        CHECK(testing::closeness_to_reference(c, 7, Precision::bf16).close);
        CHECK_FALSE(testing::closeness_to_reference(c, 7, Precision::fp32).close);
    }

    TEST_CASE("alpha, beta, leading dimensions wider than the rows, and NaN in C with beta == 0") {
        if (!bf16_runs()) return;
        std::uint64_t seed = 200;
        for (bool transpose_a : {false, true})
            for (bool transpose_b : {false, true}) {
                check_against_reference(bf16_case({37, 45, 29, transpose_a, transpose_b, -0.5f, 1.0f}), ++seed);
                check_against_reference(bf16_case({37, 45, 29, transpose_a, transpose_b, 2.0f, -1.5f, 7}), ++seed);
                check_against_reference(bf16_case({64, 64, 600, transpose_a, transpose_b, 1.0f, 0.25f, 5}), ++seed);
            }
        // k == 0: C = beta * C.
        check_against_reference(bf16_case({9, 40, 0, false, false, 1.0f, 3.0f}), ++seed);
        for (std::int64_t k : {0, 5, 600}) {
            Case c = bf16_case({23, 70, k, false, false, 1.0f, 0.0f});
            c.nan_in_c = true;
            check_against_reference(c, ++seed);
        }
    }

    TEST_CASE("epilogue: every activation, with and without bias; softmax") {
        if (!bf16_runs()) return;
        const Tensor bias = testing::random_tensor({70}, 7);
        std::uint64_t seed = 400;
        for (Activation activation : {Activation::linear, Activation::relu, Activation::leaky_relu,
                                      Activation::sigmoid, Activation::tanh, Activation::softplus})
            for (const float* bias_values : {static_cast<const float*>(nullptr), bias.data()})
                for (std::int64_t k : {1, 600}) {
                    CAPTURE(activation_name(activation));
                    CAPTURE(bias_values != nullptr);
                    Case c = bf16_case({23, 70, k, k == 600, false, 3.0f, 0.5f});
                    c.epilogue = {bias_values, activation, 0.1f};
                    check_against_reference(c, ++seed);
                }
        // Softmax runs over the finished rows: the bf16 product, then the fp32 softmax of it.
        const Tensor a = testing::random_tensor({23, 40}, 1), b = testing::random_tensor({40, 70}, 2);
        Tensor expected = matmul(a, b, {.bias = &bias, .precision = Precision::bf16});
        softmax_rows_in_place(expected.data(), 23, 70, 70);
        const Tensor fused = matmul(a, b, {.bias = &bias, .activation = Activation::softmax, .precision = Precision::bf16});
        CHECK(testing::bitwise_equal(fused, expected));
    }

    TEST_CASE("the result is bitwise the same on 1, 2 and 3 threads") {
        if (!bf16_runs()) return;
        std::uint64_t seed = 500;
        // Tall C is split between threads along its rows, wide C along its columns.
        for (const std::array<std::int64_t, 3>& size : {std::array<std::int64_t, 3>{300, 260, 784}, {40, 700, 300}})
            for (bool transpose_a : {false, true})
                for (bool transpose_b : {false, true}) {
                    const std::int64_t m = size[0], n = size[1], k = size[2];
                    CAPTURE(m);
                    CAPTURE(transpose_a);
                    CAPTURE(transpose_b);
                    const Tensor a = transpose_a ? testing::random_tensor({k, m}, ++seed)
                                                 : testing::random_tensor({m, k}, ++seed);
                    const Tensor b = transpose_b ? testing::random_tensor({n, k}, ++seed)
                                                 : testing::random_tensor({k, n}, ++seed);
                    const Tensor bias = testing::random_tensor({n}, ++seed);
                    const MatmulOptions options{.transpose_a = transpose_a, .transpose_b = transpose_b,
                                                .bias = &bias, .activation = Activation::tanh,
                                                .precision = Precision::bf16};
                    testing::check_same_on_1_2_3_threads(a, b, options);
                }
    }

    TEST_CASE("a thread running two parts of a product packs the shared operand once, for that product only") {
        if (!bf16_runs()) return;
        // Split on 2 threads into 4 parts, as the cost model chooses (checked with a print in run(), both
        // sets): 1100 x 300 along the rows, each part keeping all of B; 300 x 1100 along the columns, each
        // part keeping all of A, in two row blocks (mc = 256); both over k = 1100, three k blocks of kc =
        // 512, two of 1024 on AMX. (512 x 1100, here before, was split along the columns too, so the rows'
        // kept B went untested.) Inside run_both, as in fit's row blocks, each side's thread runs most
        // parts of its own products, both halves included.
        // Then each B changes in place, as weights do between steps: a block kept for the earlier product
        // must not be used again.
        std::uint64_t seed = 900;
        for (const std::array<std::int64_t, 3>& size : {std::array<std::int64_t, 3>{1100, 300, 1100}, {300, 1100, 1100}})
            for (bool transpose : {false, true}) {
                const std::int64_t m = size[0], n = size[1], k = size[2];
                CAPTURE(m);
                CAPTURE(transpose);
                const MatmulOptions options{.transpose_a = transpose, .transpose_b = transpose,
                                            .precision = Precision::bf16};
                const auto operand_a = [&] {
                    return transpose ? testing::random_tensor({k, m}, ++seed) : testing::random_tensor({m, k}, ++seed);
                };
                const auto operand_b = [&] {
                    return transpose ? testing::random_tensor({n, k}, ++seed) : testing::random_tensor({k, n}, ++seed);
                };
                const Tensor a_first = operand_a(), a_second = operand_a();
                Tensor b_first = operand_b(), b_second = operand_b();
                Tensor first = zeros({m, n}), second = zeros({m, n});
                for (int round = 0; round < 3; ++round) {
                    CAPTURE(round);
                    Tensor expected_first, expected_second;
                    testing::with_threads(1, [&] {
                        expected_first = matmul(a_first, b_first, options);
                        expected_second = matmul(a_second, b_second, options);
                    });
                    testing::with_threads(2, [&] {
                        auto run_first = [&] { matmul(a_first, b_first, first, options); };
                        auto run_second = [&] { matmul(a_second, b_second, second, options); };
                        run_both(run_first, run_second);
                    });
                    CHECK(testing::bitwise_equal(first, expected_first));
                    CHECK(testing::bitwise_equal(second, expected_second));
                    // The other thread kept busy until the product is done (or a second has passed), so
                    // one thread runs both of its parts, whichever side it took.
                    testing::with_threads(2, [&] {
                        std::atomic<bool> done{false};
                        auto run_product = [&] {
                            matmul(a_first, b_first, first, options);
                            done.store(true, std::memory_order_release);
                        };
                        auto stay_busy = [&] {
                            const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(1);
                            while (!done.load(std::memory_order_acquire) && std::chrono::steady_clock::now() < give_up) {
                            }
                        };
                        run_both(run_product, stay_busy);
                    });
                    CHECK(testing::bitwise_equal(first, expected_first));
                    // The same tensors, new values: one in four elements of each B changes sign.
                    for (Tensor* b : {&b_first, &b_second})
                        for (std::int64_t i = round; i < b->numel(); i += 4) b->data()[i] = -b->data()[i];
                }
            }
    }

    TEST_CASE("bf16_instruction_set agrees with the CPU flags Linux reports") {
        std::ifstream cpuinfo("/proc/cpuinfo");
        std::string line;
        bool has_flag = false;
        while (std::getline(cpuinfo, line))
            if (line.rfind("flags", 0) == 0) {
                has_flag = line.find(" avx512_bf16") != std::string::npos;
                break;
            }
        // AMX also needs Linux to grant the tile state, which it does on the machines we run on (5.19 and up).
        const bool has_amx = line.find(" amx_bf16") != std::string::npos && line.find(" amx_tile") != std::string::npos;
        const bool avx512_active = active_instruction_set() == InstructionSet::avx512;
        CAPTURE(instruction_set_name(active_instruction_set()));
        CAPTURE(line);
        std::vector<Bf16InstructionSet> expected;
        if (has_flag && has_amx) expected.push_back(Bf16InstructionSet::amx_bf16);
        if (has_flag) expected.push_back(Bf16InstructionSet::avx512_bf16);
        CHECK(available_bf16_instruction_sets() == expected);
        const char* forced = std::getenv("SMALLNET_BF16");
        if (!avx512_active)
            CHECK(bf16_instruction_set() == Bf16InstructionSet::none);
        else if (!forced || !*forced)
            CHECK(bf16_instruction_set() == (expected.empty() ? Bf16InstructionSet::none : expected.front()));
        CHECK(instruction_set_name(Bf16InstructionSet::amx_bf16) == "amx_bf16");
        CHECK(instruction_set_name(Bf16InstructionSet::avx512_bf16) == "avx512_bf16");
        CHECK(instruction_set_name(Bf16InstructionSet::none) == "none");
    }

    TEST_CASE("set_bf16_instruction_set takes each available set, and refuses others") {
        const Bf16InstructionSet saved = bf16_instruction_set();
        for (Bf16InstructionSet set : available_bf16_instruction_sets()) {
            set_bf16_instruction_set(set);
            if (active_instruction_set() == InstructionSet::avx512) CHECK(bf16_instruction_set() == set);
        }
        CHECK_THROWS_AS(set_bf16_instruction_set(Bf16InstructionSet::none), std::invalid_argument);
        if (available_bf16_instruction_sets().size() < 2)
            CHECK_THROWS_WITH_AS(set_bf16_instruction_set(Bf16InstructionSet::amx_bf16),
                                 "set_bf16_instruction_set: this CPU cannot run amx_bf16", std::invalid_argument);
        if (saved != Bf16InstructionSet::none) set_bf16_instruction_set(saved);
        CHECK(parse_bf16_instruction_set("amx_bf16") == Bf16InstructionSet::amx_bf16);
        CHECK(parse_bf16_instruction_set("avx512_bf16") == Bf16InstructionSet::avx512_bf16);
        CHECK_THROWS_WITH_AS(parse_bf16_instruction_set("amx"),
                             "unknown bf16 instruction set 'amx' (expected amx_bf16 or avx512_bf16)",
                             std::invalid_argument);
    }

    TEST_CASE("without AVX512_BF16 a bf16 product throws, naming it, even an empty one") {
        // Every set this CPU runs; on an AVX512_BF16 machine those below avx512 stand for a CPU without it.
        const Tensor a = testing::random_tensor({4, 3}, 1), b = testing::random_tensor({3, 5}, 2);
        const Tensor empty = zeros({0, 3});
        testing::for_each_instruction_set([&](InstructionSet) {
            if (bf16_instruction_set() != Bf16InstructionSet::none) return;
            CHECK_THROWS_WITH_AS(matmul(a, b, {.precision = Precision::bf16}), doctest::Contains("AVX512_BF16"),
                                 std::runtime_error);
            CHECK_THROWS_WITH_AS(matmul(empty, b, {.precision = Precision::bf16}), doctest::Contains("AVX512_BF16"),
                                 std::runtime_error);
            CHECK(matmul(a, b).shape() == Shape{4, 5});  // fp32 is not affected
        });
    }

    TEST_CASE("precision names") {
        CHECK(precision_name(Precision::bf16) == "bf16");
        CHECK(parse_precision("fp32") == Precision::fp32);
        CHECK(parse_precision("bf16") == Precision::bf16);
        CHECK_THROWS_WITH_AS(parse_precision("fp16"), "unknown precision 'fp16' (expected fp32 or bf16)",
                             std::invalid_argument);
    }
}

}  // namespace
}  // namespace smallnet
