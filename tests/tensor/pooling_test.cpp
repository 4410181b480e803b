// Max pooling and upsampling against loops written from Keras' definitions, on awkward sizes, on
// every instruction set (the kernels are vectorized over a pixel's channels: 1, 3 and 17 channels
// take partial vectors, 8, 16 and 32 the apps' layers).

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "tensor/pooling.hpp"
#include "tests/support.hpp"

namespace smallnet {
namespace {

std::vector<float> random_values(std::int64_t count, std::uint64_t seed) {
    const Tensor t = testing::random_tensor(Shape{count}, seed, -1.0f, 1.0f);
    return {t.data(), t.data() + count};
}

// Max pooling forward and backward (= or += into dx) against the definitions, for one geometry.
void check_max_pooling(const Pool2dGeometry& g, bool accumulate) {
    const std::int64_t in = g.input_shape().numel(), out = g.output_shape().numel(), channels = g.channels;
    std::vector<float> x = random_values(in, 7);
    x[0] = x[channels] = 0.5f;  // a tie: the first of the two takes the gradient
    const std::vector<float> dy = random_values(out, 8);
    std::vector<float> y(static_cast<std::size_t>(out)), dx(static_cast<std::size_t>(in), 3.0f);
    max_pool2d_forward(g, x.data(), y.data());
    max_pool2d_backward(g, x.data(), y.data(), dy.data(), dx.data(), accumulate);
    std::vector<double> expected_dx(static_cast<std::size_t>(in), accumulate ? 3.0 : 0.0);
    for (std::int64_t n = 0; n < g.batch; ++n)
        for (std::int64_t oy = 0; oy < g.out_height; ++oy)
            for (std::int64_t ox = 0; ox < g.out_width; ++ox)
                for (std::int64_t c = 0; c < channels; ++c) {
                    float best = -std::numeric_limits<float>::infinity();
                    std::int64_t best_at = -1;
                    for (std::int64_t py = 0; py < g.pool_height; ++py)
                        for (std::int64_t px = 0; px < g.pool_width; ++px) {
                            const std::int64_t iy = oy * g.stride_height + py - g.pad_top;
                            const std::int64_t ix = ox * g.stride_width + px - g.pad_left;
                            if (iy < 0 || iy >= g.in_height || ix < 0 || ix >= g.in_width) continue;
                            const std::int64_t at = ((n * g.in_height + iy) * g.in_width + ix) * channels + c;
                            if (best_at < 0 || x[at] > best) best = x[at], best_at = at;
                        }
                    const std::int64_t o = ((n * g.out_height + oy) * g.out_width + ox) * channels + c;
                    CHECK(y[o] == best);
                    expected_dx[best_at] += dy[o];
                }
    CHECK_CLOSE(testing::compare(dx.data(), expected_dx.data(), in, 1e-6, 1e-6));
}

TEST_SUITE("tensor.pooling") {
    TEST_CASE("max pooling: Keras' sizes, windows clipped to the image, gradient to the first maximum") {
        testing::for_each_instruction_set([](InstructionSet) {
            for (const Padding padding : {Padding::same, Padding::valid})
                for (const std::int64_t channels : {1, 3, 17})
                    for (const std::array<std::int64_t, 4>& sizes :
                         std::vector<std::array<std::int64_t, 4>>{{7, 7, 2, 2}, {28, 28, 2, 2}, {5, 8, 3, 2}, {4, 1, 1, 1}, {9, 6, 3, 3}, {3, 3, 2, 1}}) {
                        // (no structured binding: clang 14, of the sanitizer build, cannot capture one)
                        const std::int64_t height = sizes[0], width = sizes[1], pool = sizes[2], stride = sizes[3];
                        CAPTURE(padding_name(padding));
                        CAPTURE(channels);
                        CAPTURE(height);
                        CAPTURE(width);
                        CAPTURE(pool);
                        CAPTURE(stride);
                        const Pool2dGeometry g =
                            Pool2dGeometry::make(Shape{2, height, width, channels}, pool, pool, stride, stride, padding);
                        if (padding == Padding::same) CHECK(g.out_height == (height + stride - 1) / stride);
                        else CHECK(g.out_height == (height - pool) / stride + 1);
                        for (const bool accumulate : {false, true}) {
                            CAPTURE(accumulate);
                            check_max_pooling(g, accumulate);
                        }
                    }
        });
    }

    TEST_CASE("max pooling: the apps' layers (8, 16 and 32 channels, odd sizes)") {
        testing::for_each_instruction_set([](InstructionSet) {
            for (const std::array<std::int64_t, 3>& sizes :
                 std::vector<std::array<std::int64_t, 3>>{{28, 28, 16}, {14, 14, 8}, {7, 7, 8}, {28, 28, 32}, {14, 14, 32}, {5, 5, 48}}) {
                const std::int64_t height = sizes[0], width = sizes[1], channels = sizes[2];
                CAPTURE(height);
                CAPTURE(channels);
                const Pool2dGeometry g = Pool2dGeometry::make(Shape{3, height, width, channels}, 2, 2, 2, 2, Padding::same);
                check_max_pooling(g, false);
                check_max_pooling(g, true);
            }
        });
    }

    TEST_CASE("max pooling: NaN wins its window, 7 -> 4 with same padding, bad sizes") {
        testing::for_each_instruction_set([](InstructionSet) {
            // One channel, and 20 (a whole vector and part of one), a NaN in channel 0 and in channel 19.
            for (const std::int64_t channels : {1, 20}) {
                CAPTURE(channels);
                const Pool2dGeometry g = Pool2dGeometry::make(Shape{1, 2, 2, channels}, 2, 2, 2, 2, Padding::valid);
                std::vector<float> x(static_cast<std::size_t>(4 * channels), 1.0f), y(static_cast<std::size_t>(channels));
                x[static_cast<std::size_t>(channels)] = std::nanf("");           // pixel 1, channel 0
                x[static_cast<std::size_t>(3 * channels + channels - 1)] = std::nanf("");  // pixel 3, last channel
                max_pool2d_forward(g, x.data(), y.data());
                CHECK(std::isnan(y.front()));
                CHECK(std::isnan(y.back()));
                const std::vector<float> dy(static_cast<std::size_t>(channels), 1.0f);
                std::vector<float> dx(x.size(), 5.0f);
                max_pool2d_backward(g, x.data(), y.data(), dy.data(), dx.data(), false);
                CHECK(dx[0] == 0.0f);  // a NaN maximum passes no gradient
                CHECK(dx.back() == 0.0f);
            }
        });
        CHECK(Pool2dGeometry::make(Shape{1, 7, 7, 4}, 2, 2, 2, 2, Padding::same).out_width == 4);
        CHECK_THROWS_AS(Pool2dGeometry::make(Shape{1, 7, 7, 4}, 0, 2, 2, 2, Padding::same), std::invalid_argument);
        CHECK_THROWS_AS(Pool2dGeometry::make(Shape{1, 1, 7, 4}, 2, 2, 2, 2, Padding::valid), std::invalid_argument);
    }

    TEST_CASE("upsampling repeats each pixel; its gradient sums the copies") {
        testing::for_each_instruction_set([](InstructionSet) {
            for (const std::array<std::int64_t, 2>& factors : std::vector<std::array<std::int64_t, 2>>{{2, 2}, {1, 3}, {3, 1}})
                for (const std::int64_t channels : {1, 3, 8, 16, 17, 32}) {
                    const std::int64_t fh = factors[0], fw = factors[1];
                    const Shape shape{2, 3, 5, channels};
                    const Shape out_shape = upsampling2d_output_shape(shape, fh, fw);
                    CHECK(out_shape == Shape{2, 3 * fh, 5 * fw, channels});
                    const std::vector<float> x = random_values(shape.numel(), 3), dy = random_values(out_shape.numel(), 4);
                    std::vector<float> y(static_cast<std::size_t>(out_shape.numel())), dx(static_cast<std::size_t>(shape.numel()), 1.0f);
                    upsampling2d_forward(shape, fh, fw, x.data(), y.data());
                    upsampling2d_backward(shape, fh, fw, dy.data(), dx.data(), true);
                    std::vector<double> expected_dx(x.size(), 1.0);
                    for (std::int64_t n = 0; n < 2; ++n)
                        for (std::int64_t oy = 0; oy < 3 * fh; ++oy)
                            for (std::int64_t ox = 0; ox < 5 * fw; ++ox)
                                for (std::int64_t c = 0; c < channels; ++c) {
                                    const std::int64_t o = ((n * 3 * fh + oy) * 5 * fw + ox) * channels + c;
                                    const std::int64_t i = ((n * 3 + oy / fh) * 5 + ox / fw) * channels + c;
                                    CHECK(y[o] == x[i]);
                                    expected_dx[i] += dy[o];
                                }
                    CHECK_CLOSE(testing::compare(dx.data(), expected_dx.data(), shape.numel(), 1e-6, 1e-6));
                    upsampling2d_backward(shape, fh, fw, dy.data(), dx.data(), false);  // = rather than +=
                    for (double& value : expected_dx) value -= 1.0;
                    CHECK_CLOSE(testing::compare(dx.data(), expected_dx.data(), shape.numel(), 1e-6, 1e-6));
                }
        });
        CHECK_THROWS_AS(upsampling2d_output_shape(Shape{1, 2, 2, 1}, 0, 2), std::invalid_argument);
        CHECK_THROWS_AS(upsampling2d_output_shape(Shape{2, 2, 1}, 2, 2), std::invalid_argument);
    }
}

}  // namespace
}  // namespace smallnet
