// The small-product paths of gemm() (one row of C, or k == 1: tensor/matmul_small.cpp) against the
// double-precision reference on every instruction set, on awkward and nice sizes, with every transpose,
// alpha, beta, leading dimensions and epilogue; and bitwise against the GEMM where they promise to
// round as it does.

#include <cstdint>
#include <vector>

#include "tensor/arch/gemm_kernels.hpp"
#include "tensor/matmul.hpp"
#include "tests/support.hpp"
#include "tests/tensor/gemm_test_support.hpp"

namespace smallnet {
namespace {

using testing::Case;
using testing::check_against_reference;

// Around every vector width and the kc block (256), plus the autoencoder's layer widths.
const std::vector<std::int64_t> sizes = {0, 1, 3, 16, 17, 32, 128, 255, 257, 784};

const std::vector<Activation> activations = {Activation::linear,  Activation::relu, Activation::leaky_relu,
                                             Activation::sigmoid, Activation::tanh, Activation::softplus};

// Row `row` of a rows x columns tensor, as a 1 x columns tensor of its own.
Tensor row_of(const Tensor& t, std::int64_t row) {
    Tensor out(Shape{1, t.size(1)});
    for (std::int64_t j = 0; j < t.size(1); ++j) out.data()[j] = t.data()[row * t.size(1) + j];
    return out;
}

TEST_SUITE("tensor.gemm_small") {
    TEST_CASE("one row of C: every transpose, sizes of n and k") {
        testing::for_each_instruction_set([&](InstructionSet) {
            std::uint64_t seed = 1000;
            for (bool transpose_a : {false, true})
                for (bool transpose_b : {false, true})
                    for (std::int64_t n : sizes)
                        for (std::int64_t k : sizes) check_against_reference({1, n, k, transpose_a, transpose_b}, ++seed);
        });
    }

    TEST_CASE("k == 1: every transpose, sizes of m and n") {
        testing::for_each_instruction_set([&](InstructionSet) {
            std::uint64_t seed = 2000;
            for (bool transpose_a : {false, true})
                for (bool transpose_b : {false, true})
                    for (std::int64_t m : sizes)
                        for (std::int64_t n : sizes) check_against_reference({m, n, 1, transpose_a, transpose_b}, ++seed);
        });
    }

    TEST_CASE("alpha, beta, strided rows and NaN in a write-only C") {
        testing::for_each_instruction_set([&](InstructionSet) {
            std::uint64_t seed = 3000;
            for (bool transpose_a : {false, true})
                for (bool transpose_b : {false, true})
                    for (const auto& [m, k] : std::vector<std::pair<std::int64_t, std::int64_t>>{{1, 300}, {1, 17}, {45, 1}}) {
                        // padding 7: A's column, B's row and C's rows lie with a stride, not contiguous.
                        check_against_reference({m, 45, k, transpose_a, transpose_b, -0.5f, 1.0f}, ++seed);
                        check_against_reference({m, 45, k, transpose_a, transpose_b, 2.0f, -1.5f, 7}, ++seed);
                        check_against_reference({m, 300, k, transpose_a, transpose_b, 1.0f, 0.25f, 5}, ++seed);
                        Case nan_case{m, 45, k, transpose_a, transpose_b, 1.0f, 0.0f, 3};
                        nan_case.nan_in_c = true;
                        check_against_reference(nan_case, ++seed);
                    }
            // k == 0 with one row: C = beta * C, then the epilogue.
            Case empty_k{1, 40, 0, false, false, 1.0f, 3.0f};
            empty_k.epilogue.activation = Activation::tanh;
            check_against_reference(empty_k, ++seed);
        });
    }

    TEST_CASE("epilogue: every activation, with and without bias, on each small path") {
        const Tensor bias = testing::random_tensor({257}, 7);
        testing::for_each_instruction_set([&](InstructionSet) {
            std::uint64_t seed = 4000;
            for (Activation activation : activations)
                for (const float* bias_values : {static_cast<const float*>(nullptr), bias.data()})
                    for (bool transpose_b : {false, true})
                        for (const auto& [m, k] : std::vector<std::pair<std::int64_t, std::int64_t>>{{1, 300}, {1, 3}, {23, 1}})
                            for (std::int64_t n : {1, 17, 257}) {
                                CAPTURE(activation_name(activation));
                                CAPTURE(bias_values != nullptr);
                                Case c{m, n, k, false, transpose_b, 3.0f, 0.5f};
                                c.epilogue = {bias_values, activation, 0.1f};
                                check_against_reference(c, ++seed);
                            }
        });
    }

    TEST_CASE("a row alone is bitwise the same row of a larger product (B not transposed)") {
        // The row kernel walks k in the GEMM's blocks, so predicting one example gives exactly the
        // numbers it gets in a batch; k = 600 spans three blocks.
        const Tensor bias = testing::random_tensor({130}, 8);
        testing::for_each_instruction_set([&](InstructionSet) {
            for (std::int64_t k : {1, 17, 600})
                for (Activation activation : {Activation::linear, Activation::sigmoid})
                    for (float beta : {0.0f, 2.0f}) {
                        CAPTURE(k);
                        CAPTURE(beta);
                        const Tensor a = testing::random_tensor({20, k}, 10 + k, -1.0f, 1.0f);
                        const Tensor b = testing::random_tensor({k, 130}, 11 + k, -1.0f, 1.0f);
                        const Tensor accumulated = testing::random_tensor({20, 130}, 12 + k);
                        MatmulOptions options{.alpha = 0.5f, .beta = beta, .bias = &bias, .activation = activation};
                        Tensor batch = accumulated.clone();
                        matmul(a, b, batch, options);  // m = 20: the GEMM
                        for (std::int64_t row : {0, 7, 19}) {
                            Tensor alone = row_of(accumulated, row);
                            matmul(row_of(a, row), b, alone, options);  // m = 1: the row kernel
                            CHECK(testing::bitwise_equal(alone, row_of(batch, row)));
                        }
                    }
        });
    }

    TEST_CASE("k == 1 is bitwise the GEMM's result") {
        // Large enough to be worth two threads, the product goes to the GEMM; on one thread, to the
        // outer-product kernel. Both must give the same bits.
        const std::int64_t m = 1030, n = 2100;
        const Tensor a = testing::random_tensor({m, 1}, 20, -1.0f, 1.0f);
        const Tensor b = testing::random_tensor({1, n}, 21, -1.0f, 1.0f);
        const Tensor bias = testing::random_tensor({n}, 22);
        const Tensor start = testing::random_tensor({m, n}, 23);
        testing::for_each_instruction_set([&](InstructionSet) {
            for (float beta : {0.0f, 0.75f}) {
                MatmulOptions options{.alpha = 1.5f, .beta = beta, .bias = &bias, .activation = Activation::relu};
                Tensor gemm_result = start.clone(), kernel_result = start.clone();
                testing::with_threads(2, [&] { matmul(a, b, gemm_result, options); });
                testing::with_threads(1, [&] { matmul(a, b, kernel_result, options); });
                CHECK(testing::bitwise_equal(gemm_result, kernel_result));
            }
        });
    }

    TEST_CASE("every instruction set's table has the small-product kernels") {
        for (InstructionSet set : available_instruction_sets()) {
            const arch::GemmKernels& kernels = arch::gemm_kernels(set);
            CAPTURE(instruction_set_name(set));
            CHECK(static_cast<bool>(kernels.row_times_matrix));
            CHECK(static_cast<bool>(kernels.row_times_transposed));
            CHECK(static_cast<bool>(kernels.outer_product));
        }
    }
}

}  // namespace
}  // namespace smallnet
