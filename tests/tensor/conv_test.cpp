// The fast convolutions against the double-precision reference (tensor/conv_reference.hpp) on every
// instruction set: awkward channel counts and image sizes, strides 1 to 3, both paddings, 1x1 and
// non-square kernels, batch 1, the epilogue, accumulation, thread-count independence, Keras' sizes.

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "tensor/conv.hpp"
#include "tensor/conv_reference.hpp"
#include "tests/support.hpp"

namespace smallnet {
namespace {

struct ConvCase {
    std::int64_t batch, height, width, in_channels, out_channels, kernel_height, kernel_width, stride;
    Padding padding;
    std::int64_t stride_width = 0;  // 0: the same as the row stride
};

std::vector<double> as_double(const std::vector<float>& v) { return {v.begin(), v.end()}; }

std::vector<float> random_values(std::int64_t count, std::uint64_t seed) {
    const Tensor t = testing::random_tensor(Shape{count}, seed, -1.0f, 1.0f);
    return {t.data(), t.data() + count};
}

// Every pass of the fast path against the reference, with and without accumulation and epilogue.
void check_case(const ConvCase& c, std::uint64_t seed) {
    CAPTURE(c.batch);
    CAPTURE(c.height);
    CAPTURE(c.width);
    CAPTURE(c.in_channels);
    CAPTURE(c.out_channels);
    CAPTURE(c.kernel_height);
    CAPTURE(c.kernel_width);
    CAPTURE(c.stride);
    CAPTURE(c.stride_width);
    CAPTURE(padding_name(c.padding));
    const Conv2dGeometry g =
        Conv2dGeometry::convolution(Shape{c.batch, c.height, c.width, c.in_channels}, c.out_channels, c.kernel_height,
                                    c.kernel_width, c.stride, c.stride_width > 0 ? c.stride_width : c.stride, c.padding);
    const std::int64_t in = g.input_shape().numel(), out = g.output_shape().numel(), k = g.kernel_shape().numel();
    const std::vector<float> x = random_values(in, seed), kernel = random_values(k, seed + 1),
                             dy = random_values(out, seed + 2), bias = random_values(g.out_channels, seed + 3),
                             in_bias = random_values(g.in_channels, seed + 4);
    // The sums have up to kh * kw * channels terms of magnitude < 1, rounded in float.
    const double atol = 1e-5 * static_cast<double>(g.kernel_height * g.kernel_width * g.in_channels + g.out_channels);
    const double rtol = 1e-5;

    for (const Activation activation : {Activation::linear, Activation::relu, Activation::sigmoid}) {
        CAPTURE(activation_name(activation));
        const ConvEpilogue epilogue{bias.data(), activation, 0.3f};
        std::vector<float> fast(static_cast<std::size_t>(out), 7.0f), expected(static_cast<std::size_t>(out));
        conv2d_forward(g, x.data(), kernel.data(), fast.data(), epilogue);
        reference::conv2d_forward(g, x.data(), kernel.data(), expected.data(), epilogue);
        CHECK_CLOSE(testing::compare(fast.data(), as_double(expected).data(), out, atol, rtol));
    }
    for (const bool accumulate : {false, true}) {
        CAPTURE(accumulate);
        std::vector<float> fast = random_values(in, seed + 5), expected = fast;
        conv2d_backward_input(g, dy.data(), kernel.data(), fast.data(), accumulate);
        reference::conv2d_backward_input(g, dy.data(), kernel.data(), expected.data(), accumulate);
        CHECK_CLOSE(testing::compare(fast.data(), as_double(expected).data(), in, atol, rtol));

        std::vector<float> fast_kernel = random_values(k, seed + 6), expected_kernel = fast_kernel;
        conv2d_backward_kernel(g, x.data(), dy.data(), fast_kernel.data(), accumulate);
        reference::conv2d_backward_kernel(g, x.data(), dy.data(), expected_kernel.data(), accumulate);
        const double kernel_atol = 1e-5 * static_cast<double>(g.batch * g.out_height * g.out_width + 1);
        CHECK_CLOSE(testing::compare(fast_kernel.data(), as_double(expected_kernel).data(), k, kernel_atol, rtol));
    }
    {  // the transposed convolution's forward pass: backward input with a bias and an activation
        const ConvEpilogue epilogue{in_bias.data(), Activation::tanh, 0.3f};
        std::vector<float> fast(static_cast<std::size_t>(in), 7.0f), expected(static_cast<std::size_t>(in));
        conv2d_backward_input(g, dy.data(), kernel.data(), fast.data(), false, epilogue);
        reference::conv2d_backward_input(g, dy.data(), kernel.data(), expected.data(), false, epilogue);
        CHECK_CLOSE(testing::compare(fast.data(), as_double(expected).data(), in, atol, rtol));
    }
}

// The apps' layers (the Keras blog's conv autoencoder and keras.io's denoiser) at small batches.
const std::vector<ConvCase> model_cases = {
    {2, 28, 28, 1, 16, 3, 3, 1, Padding::same},  {2, 14, 14, 16, 8, 3, 3, 1, Padding::same},
    {2, 7, 7, 8, 8, 3, 3, 1, Padding::same},     {2, 4, 4, 8, 8, 3, 3, 1, Padding::same},
    {2, 8, 8, 8, 8, 3, 3, 1, Padding::same},     {2, 16, 16, 8, 16, 3, 3, 1, Padding::valid},
    {2, 28, 28, 16, 1, 3, 3, 1, Padding::same},  {2, 28, 28, 1, 32, 3, 3, 1, Padding::same},
    {2, 14, 14, 32, 32, 3, 3, 1, Padding::same}, {2, 14, 14, 32, 32, 3, 3, 2, Padding::same},
    {2, 28, 28, 32, 32, 3, 3, 2, Padding::same}, {2, 28, 28, 32, 1, 3, 3, 1, Padding::same},
};

TEST_SUITE("tensor.conv") {
    TEST_CASE("Keras' output sizes and padding") {
        const auto same = Conv2dGeometry::convolution(Shape{1, 7, 8, 1}, 1, 3, 3, 2, 2, Padding::same);
        CHECK(same.out_height == 4);  // ceil(7 / 2)
        CHECK(same.out_width == 4);
        CHECK(same.pad_top == 1);     // total (4 - 1) * 2 + 3 - 7 = 2: one before, one after
        CHECK(same.pad_left == 0);    // total (4 - 1) * 2 + 3 - 8 = 1: the odd one goes after
        const auto valid = Conv2dGeometry::convolution(Shape{1, 16, 9, 1}, 1, 3, 3, 2, 2, Padding::valid);
        CHECK(valid.out_height == 7);
        CHECK(valid.out_width == 4);
        const auto even = Conv2dGeometry::convolution(Shape{1, 6, 6, 1}, 1, 2, 2, 1, 1, Padding::same);
        CHECK(even.pad_top == 0);     // a 2x2 kernel pads one pixel, after
        const auto transposed = Conv2dGeometry::transposed(Shape{1, 7, 7, 32}, 16, 3, 3, 2, 2, Padding::same);
        CHECK(transposed.input_shape() == Shape{1, 14, 14, 16});
        CHECK(transposed.output_shape() == Shape{1, 7, 7, 32});
        CHECK(transposed.kernel_shape() == Shape{3, 3, 16, 32});
        const auto transposed_valid = Conv2dGeometry::transposed(Shape{1, 5, 4, 2}, 3, 3, 2, 2, 2, Padding::valid);
        CHECK(transposed_valid.input_shape() == Shape{1, 11, 8, 3});  // 5 * 2 + (3 - 2), 4 * 2 + 0
        CHECK_THROWS_WITH_AS(Conv2dGeometry::convolution(Shape{1, 2, 5, 1}, 1, 3, 3, 1, 1, Padding::valid),
                             "a kernel height of 3 does not fit an image height of 2 with 'valid' padding",
                             std::invalid_argument);
        CHECK_THROWS_AS(Conv2dGeometry::convolution(Shape{1, 5, 5}, 1, 3, 3, 1, 1, Padding::valid), std::invalid_argument);
        CHECK_THROWS_AS(Conv2dGeometry::convolution(Shape{1, 5, 5, 1}, 1, 3, 3, 0, 1, Padding::valid),
                        std::invalid_argument);
    }

    TEST_CASE("awkward channels, sizes, strides and kernels against the reference") {
        testing::for_each_instruction_set([](InstructionSet) {
            std::uint64_t seed = 100;
            for (const std::int64_t channels : {1, 3, 17})
                for (const Padding padding : {Padding::same, Padding::valid})
                    for (const std::int64_t stride : {1, 2}) {
                        check_case({1, 5, 7, channels, 3, 3, 3, stride, padding}, seed += 10);
                        check_case({2, 6, 3, 2, channels, 3, 2, stride, padding}, seed += 10);
                        check_case({1, 9, 8, channels, channels, 1, 1, stride, padding}, seed += 10);
                    }
            check_case({3, 1, 1, 17, 5, 1, 1, 1, Padding::valid}, seed += 10);      // one pixel
            check_case({1, 1, 17, 3, 2, 1, 5, 3, Padding::same}, seed += 10);       // one row, stride 3
            check_case({1, 17, 1, 2, 3, 4, 1, 1, Padding::same}, seed += 10);       // even kernel, one column
            check_case({2, 4, 4, 33, 65, 3, 3, 1, Padding::same}, seed += 10);      // past a vector of channels
            check_case({1, 3, 3, 2, 2, 3, 3, 1, Padding::valid}, seed += 10);       // one output pixel
            check_case({1, 19, 21, 5, 7, 5, 5, 2, Padding::same}, seed += 10);
            // Small images go through the products several to a call (stacked in the planes): batches
            // that leave a partial last stack, strided and transposed included.
            check_case({17, 4, 4, 8, 8, 3, 3, 1, Padding::same}, seed += 10);
            check_case({13, 7, 7, 8, 3, 3, 3, 1, Padding::same}, seed += 10);
            check_case({11, 5, 6, 3, 2, 3, 3, 2, Padding::valid}, seed += 10);
            check_case({9, 6, 5, 2, 5, 2, 3, 2, Padding::same}, seed += 10);
            // Unequal strides: row phases without column phases and the reverse, channel tiles at a
            // column stride of 2 over unit-stride rows, the one-channel gradient at a row stride of 2.
            check_case({2, 9, 8, 32, 1, 3, 3, 2, Padding::same, 1}, seed += 10);
            check_case({2, 8, 9, 16, 1, 3, 3, 1, Padding::valid, 2}, seed += 10);
            check_case({2, 7, 10, 3, 20, 3, 3, 1, Padding::same, 2}, seed += 10);
            check_case({2, 10, 7, 5, 6, 3, 2, 2, Padding::same, 1}, seed += 10);
            // One output channel with kernels of other heights than 3 (the dot products take any).
            check_case({2, 9, 11, 32, 1, 5, 3, 1, Padding::same}, seed += 10);
            check_case({2, 6, 20, 16, 1, 1, 3, 1, Padding::valid}, seed += 10);
        });
    }

    TEST_CASE("the apps' layers against the reference") {
        testing::for_each_instruction_set([](InstructionSet) {
            std::uint64_t seed = 500;
            for (const ConvCase& c : model_cases) check_case(c, seed += 10);
        });
    }

    TEST_CASE("an empty batch writes nothing and zeroes the kernel gradient") {
        const auto g = Conv2dGeometry::convolution(Shape{0, 5, 5, 2}, 3, 3, 3, 1, 1, Padding::same);
        std::vector<float> kernel(54, 1.0f), dkernel(54, 5.0f);
        conv2d_forward(g, nullptr, kernel.data(), nullptr);
        conv2d_backward_input(g, nullptr, kernel.data(), nullptr, false);
        conv2d_backward_kernel(g, nullptr, nullptr, dkernel.data(), true);
        CHECK(dkernel[0] == 5.0f);
        conv2d_backward_kernel(g, nullptr, nullptr, dkernel.data(), false);
        CHECK(dkernel[53] == 0.0f);
    }

    TEST_CASE("results are bitwise the same at 1, 2 and 3 threads") {
        for (const ConvCase& c : {ConvCase{37, 14, 14, 16, 8, 3, 3, 1, Padding::same},
                                  ConvCase{19, 14, 14, 32, 32, 3, 3, 2, Padding::same},
                                  ConvCase{9, 28, 28, 16, 1, 3, 3, 1, Padding::same}}) {
            const auto g = Conv2dGeometry::convolution(Shape{c.batch, c.height, c.width, c.in_channels}, c.out_channels,
                                                       c.kernel_height, c.kernel_width, c.stride, c.stride, c.padding);
            const std::int64_t in = g.input_shape().numel(), out = g.output_shape().numel(), k = g.kernel_shape().numel();
            const std::vector<float> x = random_values(in, 1), kernel = random_values(k, 2), dy = random_values(out, 3);
            std::vector<std::vector<float>> results;
            for (int threads : {1, 2, 3})
                testing::with_threads(threads, [&] {
                    std::vector<float> y(static_cast<std::size_t>(out)), dx(static_cast<std::size_t>(in)),
                        dkernel(static_cast<std::size_t>(k));
                    conv2d_forward(g, x.data(), kernel.data(), y.data());
                    conv2d_backward_input(g, dy.data(), kernel.data(), dx.data(), false);
                    conv2d_backward_kernel(g, x.data(), dy.data(), dkernel.data(), false);
                    y.insert(y.end(), dx.begin(), dx.end());
                    y.insert(y.end(), dkernel.begin(), dkernel.end());
                    results.push_back(y);
                });
            CHECK(results[0] == results[1]);
            CHECK(results[0] == results[2]);
        }
    }
}

}  // namespace
}  // namespace smallnet
