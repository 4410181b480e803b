// The fast GEMM against the double-precision reference, on every instruction set: sizes around the
// register tiles and cache blocks, transposes, alpha and beta, leading dimensions, the epilogue,
// thread-count independence and shape errors.

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "tensor/arch/gemm_kernels.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/matmul.hpp"
#include "tensor/matmul_reference.hpp"
#include "tests/support.hpp"
#include "tests/tensor/gemm_test_support.hpp"

namespace smallnet {
namespace {

using testing::Case;
using testing::check_against_reference;

// The shapes of one training step of the MNIST autoencoder 784-128-32-128-784 at batch 256.
struct TrainingProduct {
    std::int64_t m, n, k;
    bool transpose_a, transpose_b;
};
const std::vector<TrainingProduct> training_products = {
    {256, 128, 784, false, false}, {256, 32, 128, false, false}, {256, 128, 32, false, false},
    {256, 784, 128, false, false}, {784, 128, 256, true, false}, {128, 32, 256, true, false},
    {32, 128, 256, true, false},   {128, 784, 256, true, false}, {256, 128, 32, false, true},
    {256, 32, 128, false, true},   {256, 128, 784, false, true},
};

TEST_SUITE("tensor.gemm") {
    TEST_CASE("awkward sizes in each of m, n and k, with every transpose") {
        const std::vector<std::int64_t> sizes = {0, 1, 3, 17, 255, 257};
        testing::for_each_instruction_set([&](InstructionSet) {
            std::uint64_t seed = 10;
            for (bool transpose_a : {false, true})
                for (bool transpose_b : {false, true})
                    for (std::int64_t size : sizes) {
                        // Vary one dimension at a time around sizes that are not tile multiples.
                        check_against_reference({size, 19, 33, transpose_a, transpose_b}, ++seed);
                        check_against_reference({21, size, 33, transpose_a, transpose_b}, ++seed);
                        check_against_reference({21, 19, size, transpose_a, transpose_b}, ++seed);
                    }
            check_against_reference({257, 255, 257}, ++seed);
            check_against_reference({255, 257, 255, true, true}, ++seed);
            // Larger than every cache block (kc, mc, nc), so blocks are chained.
            check_against_reference({300, 1100, 600, false, true, 1.0f, 0.5f}, ++seed);
        });
    }

    TEST_CASE("the training-step shapes and 784 x 128") {
        testing::for_each_instruction_set([&](InstructionSet) {
            std::uint64_t seed = 100;
            check_against_reference({784, 128, 784}, ++seed);
            for (const TrainingProduct& p : training_products)
                check_against_reference({p.m, p.n, p.k, p.transpose_a, p.transpose_b}, ++seed);
        });
    }

    TEST_CASE("alpha, beta and leading dimensions wider than the rows") {
        testing::for_each_instruction_set([&](InstructionSet) {
            std::uint64_t seed = 200;
            for (bool transpose_a : {false, true})
                for (bool transpose_b : {false, true}) {
                    check_against_reference({37, 45, 29, transpose_a, transpose_b, -0.5f, 1.0f}, ++seed);
                    check_against_reference({37, 45, 29, transpose_a, transpose_b, 2.0f, -1.5f, 7}, ++seed);
                    check_against_reference({64, 64, 300, transpose_a, transpose_b, 1.0f, 0.25f, 5}, ++seed);
                }
            // k == 0: C = beta * C.
            check_against_reference({9, 40, 0, false, false, 1.0f, 3.0f}, ++seed);
        });
    }

    TEST_CASE("beta == 0 ignores NaN already in C") {
        testing::for_each_instruction_set([&](InstructionSet) {
            for (std::int64_t k : {0, 5, 300}) {
                Case c{23, 70, k, false, false, 1.0f, 0.0f};
                c.nan_in_c = true;
                check_against_reference(c, 300 + static_cast<std::uint64_t>(k));
            }
        });
    }

    TEST_CASE("epilogue: every activation, with and without bias") {
        const Tensor bias = testing::random_tensor({70}, 7);
        testing::for_each_instruction_set([&](InstructionSet) {
            std::uint64_t seed = 400;
            for (Activation activation : {Activation::linear, Activation::relu, Activation::leaky_relu,
                                          Activation::sigmoid, Activation::tanh, Activation::softplus})
                for (const float* bias_values : {static_cast<const float*>(nullptr), bias.data()})
                    for (std::int64_t k : {1, 300}) {
                        CAPTURE(activation_name(activation));
                        CAPTURE(bias_values != nullptr);
                        Case c{23, 70, k, k == 300, false, 3.0f, 0.5f};
                        c.epilogue = {bias_values, activation, 0.1f};
                        check_against_reference(c, ++seed);
                    }
        });
    }

    TEST_CASE("the sigmoid epilogue gives the element-wise sigmoid's bits") {
        // Both run sigmoid_of (tensor/arch/sigmoid_impl.hpp): a layer's fused activation and a separate
        // sigmoid op must not differ in the last bit. m = 1 takes the one-row kernels, m = 37 the GEMM.
        testing::for_each_instruction_set([&](InstructionSet) {
            for (std::int64_t m : {1, 37}) {
                CAPTURE(m);
                const Tensor a = testing::random_tensor({m, 300}, 11, -3.0f, 3.0f), b = testing::random_tensor({300, 70}, 12);
                Tensor z = zeros({m, 70}), fused = zeros({m, 70}), separate = zeros({m, 70});
                matmul(a, b, z);
                activate(Activation::sigmoid, z, separate);
                matmul(a, b, fused, {.activation = Activation::sigmoid});
                bool identical = true;
                for (std::int64_t i = 0; i < z.numel(); ++i) identical &= fused.data()[i] == separate.data()[i];
                CHECK(identical);
            }
        });
    }

    TEST_CASE("sigmoid, tanh and softplus stay finite for huge inputs") {
        // C = alpha * 1 * 1: one product per element, so the output is alpha exactly before the epilogue.
        testing::for_each_instruction_set([&](InstructionSet) {
            for (float alpha : {1.0e4f, -1.0e4f, 100.0f, -100.0f})
                for (Activation activation : {Activation::sigmoid, Activation::tanh, Activation::softplus}) {
                    CAPTURE(alpha);
                    CAPTURE(activation_name(activation));
                    const Tensor a = full({3, 1}, 1.0f), b = full({1, 40}, 1.0f);
                    Tensor c = zeros({3, 40});
                    std::vector<double> expected(3 * 40);
                    reference::gemm(false, false, 3, 40, 1, alpha, a.data(), 1, b.data(), 40, 0.0f, c.data(), 40,
                                    {nullptr, activation});
                    for (std::int64_t i = 0; i < c.numel(); ++i) {
                        REQUIRE(std::isfinite(c.data()[i]));
                        expected[static_cast<std::size_t>(i)] = c.data()[i];
                    }
                    MatmulOptions options;
                    options.alpha = alpha;
                    options.activation = activation;
                    matmul(a, b, c, options);
                    CHECK_CLOSE(testing::compare(c, expected, 1e-6, 1e-5));
                }
        });
    }

    TEST_CASE("the result is bitwise the same on 1, 2 and 3 threads") {
        const Tensor a = testing::random_tensor({300, 784}, 1);
        const Tensor b = testing::random_tensor({784, 260}, 2);
        const Tensor bias = testing::random_tensor({260}, 3);
        MatmulOptions options;
        options.bias = &bias;
        options.activation = Activation::tanh;
        testing::for_each_instruction_set([&](InstructionSet) {
            testing::check_same_on_1_2_3_threads(a, b, options);
            // Transposed operands take other paths (packed B, A read down its columns).
            MatmulOptions transposed = options;
            transposed.transpose_a = transposed.transpose_b = true;
            testing::check_same_on_1_2_3_threads(testing::random_tensor({784, 300}, 4),
                                                 testing::random_tensor({260, 784}, 5), transposed);
        });
    }

    TEST_CASE("tensor matmul: values, transposes, accumulation") {
        const Tensor a = testing::random_tensor({5, 7}, 11);
        const Tensor b = testing::random_tensor({7, 3}, 12);
        const Tensor product = matmul(a, b);
        REQUIRE(product.shape() == Shape{5, 3});
        std::vector<double> expected(15);
        Tensor check(Shape{5, 3});
        reference::gemm(false, false, 5, 3, 7, 1.0f, a.data(), 7, b.data(), 3, 0.0f, check.data(), 3);
        expected.assign(check.values().begin(), check.values().end());
        CHECK_CLOSE(testing::compare(product, expected, 1e-5, 1e-5));

        // aᵀ stored as [7, 5]: the same product through transpose_a.
        Tensor a_transposed(Shape{7, 5});
        for (std::int64_t i = 0; i < 5; ++i)
            for (std::int64_t p = 0; p < 7; ++p) a_transposed.at({p, i}) = a.at({i, p});
        MatmulOptions options;
        options.transpose_a = true;
        CHECK_CLOSE(testing::compare(matmul(a_transposed, b, options), expected, 1e-5, 1e-5));

        // beta = 1 accumulates.
        Tensor accumulated = product.clone();
        MatmulOptions accumulate;
        accumulate.beta = 1.0f;
        matmul(a, b, accumulated, accumulate);
        for (double& value : expected) value *= 2.0;
        CHECK_CLOSE(testing::compare(accumulated, expected, 1e-5, 1e-5));
    }

    TEST_CASE("shape errors name the op and both shapes") {
        const Tensor a = zeros({2, 3}), b = zeros({4, 5}), vector = zeros({3});
        CHECK_THROWS_WITH_AS(matmul(a, b), "matmul: shape [2, 3] and shape [4, 5]: inner dimensions 3 and 4 differ",
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(matmul(vector, b), "matmul: shape [3] and shape [4, 5]: both operands must be rank 2",
                             std::invalid_argument);
        MatmulOptions transposed;
        transposed.transpose_a = true;
        CHECK_THROWS_WITH_AS(matmul(a, b, transposed),
                             "matmul: shape [2, 3] and shape [4, 5]: inner dimensions 2 and 4 differ",
                             std::invalid_argument);

        const Tensor square = zeros({3, 3});
        Tensor wrong_output = zeros({3, 2});
        CHECK_THROWS_WITH_AS(matmul(a, square, wrong_output),
                             "matmul output: shape [3, 2] and shape [2, 3]: the output must have the product's shape "
                             "(the second)",
                             std::invalid_argument);

        const Tensor wrong_bias = zeros({2});
        MatmulOptions with_bias;
        with_bias.bias = &wrong_bias;
        CHECK_THROWS_WITH_AS(matmul(a, square, with_bias),
                             "matmul bias: shape [2]: the bias must be rank 1 with one value per output column (3)",
                             std::invalid_argument);

        Tensor aliased = zeros({3, 3});
        CHECK_THROWS_AS(matmul(aliased, aliased, aliased), std::invalid_argument);
    }

    TEST_CASE("every instruction set has a table with sane tiles") {
        for (InstructionSet set : available_instruction_sets()) {
            const arch::GemmKernels& kernels = arch::gemm_kernels(set);
            CAPTURE(instruction_set_name(set));
            CHECK(kernels.mr > 0);
            CHECK(kernels.nr > 0);
            CHECK(kernels.mr * kernels.nr <= 16 * 64);
            CHECK(kernels.nr <= 64);
        }
    }
}

}  // namespace
}  // namespace smallnet
