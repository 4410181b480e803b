// Max pooling and upsampling against loops written from Keras' definitions, on awkward sizes.

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

TEST_SUITE("tensor.pooling") {
    TEST_CASE("max pooling: Keras' sizes, windows clipped to the image, gradient to the first maximum") {
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
                    const Pool2dGeometry g = Pool2dGeometry::make(Shape{2, height, width, channels}, pool, pool, stride, stride, padding);
                    if (padding == Padding::same) CHECK(g.out_height == (height + stride - 1) / stride);
                    else CHECK(g.out_height == (height - pool) / stride + 1);
                    const std::int64_t in = g.input_shape().numel(), out = g.output_shape().numel();
                    std::vector<float> x = random_values(in, 7);
                    x[0] = x[channels] = 0.5f;  // a tie: the first of the two takes the gradient
                    const std::vector<float> dy = random_values(out, 8);
                    std::vector<float> y(static_cast<std::size_t>(out)), dx(static_cast<std::size_t>(in), 3.0f);
                    max_pool2d_forward(g, x.data(), y.data());
                    max_pool2d_backward(g, x.data(), y.data(), dy.data(), dx.data(), false);
                    std::vector<double> expected_dx(static_cast<std::size_t>(in), 0.0);
                    for (std::int64_t n = 0; n < g.batch; ++n)
                        for (std::int64_t oy = 0; oy < g.out_height; ++oy)
                            for (std::int64_t ox = 0; ox < g.out_width; ++ox)
                                for (std::int64_t c = 0; c < channels; ++c) {
                                    float best = -std::numeric_limits<float>::infinity();
                                    std::int64_t best_at = -1;
                                    for (std::int64_t py = 0; py < pool; ++py)
                                        for (std::int64_t px = 0; px < pool; ++px) {
                                            const std::int64_t iy = oy * stride + py - g.pad_top, ix = ox * stride + px - g.pad_left;
                                            if (iy < 0 || iy >= height || ix < 0 || ix >= width) continue;
                                            const std::int64_t at = ((n * height + iy) * width + ix) * channels + c;
                                            if (best_at < 0 || x[at] > best) best = x[at], best_at = at;
                                        }
                                    const std::int64_t o = ((n * g.out_height + oy) * g.out_width + ox) * channels + c;
                                    CHECK(y[o] == best);
                                    expected_dx[best_at] += dy[o];
                                }
                    CHECK_CLOSE(testing::compare(dx.data(), expected_dx.data(), in, 1e-6, 1e-6));
                }
    }

    TEST_CASE("max pooling: NaN wins its window, 7 -> 4 with same padding, bad sizes") {
        const Pool2dGeometry g = Pool2dGeometry::make(Shape{1, 2, 2, 1}, 2, 2, 2, 2, Padding::valid);
        const float x[4] = {1.0f, std::nanf(""), 3.0f, 2.0f};
        float y[1];
        max_pool2d_forward(g, x, y);
        CHECK(std::isnan(y[0]));
        CHECK(Pool2dGeometry::make(Shape{1, 7, 7, 4}, 2, 2, 2, 2, Padding::same).out_width == 4);
        CHECK_THROWS_AS(Pool2dGeometry::make(Shape{1, 7, 7, 4}, 0, 2, 2, 2, Padding::same), std::invalid_argument);
        CHECK_THROWS_AS(Pool2dGeometry::make(Shape{1, 1, 7, 4}, 2, 2, 2, 2, Padding::valid), std::invalid_argument);
    }

    TEST_CASE("upsampling repeats each pixel; its gradient sums the copies") {
        for (const auto& [fh, fw] : std::vector<std::array<std::int64_t, 2>>{{2, 2}, {1, 3}, {3, 1}})
            for (const std::int64_t channels : {1, 3, 17}) {
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
            }
        CHECK_THROWS_AS(upsampling2d_output_shape(Shape{1, 2, 2, 1}, 0, 2), std::invalid_argument);
        CHECK_THROWS_AS(upsampling2d_output_shape(Shape{2, 2, 1}, 2, 2), std::invalid_argument);
    }
}

}  // namespace
}  // namespace smallnet
