// The defining sums of tensor/conv.hpp, one output (or one kernel element) at a time, in double.

#include "tensor/conv_reference.hpp"

#include <vector>

#include "tensor/matmul_reference.hpp"

namespace smallnet::reference {

namespace {

// Calls visit(input_index, output_index, kernel_index) for every term of the convolution's sum, in
// the order of the output, then dy, dx, ci, then co (flat NHWC and [kh, kw, in, out] indices).
template <class Visit>
void for_each_term(const Conv2dGeometry& g, Visit visit) {
    for (std::int64_t n = 0; n < g.batch; ++n)
        for (std::int64_t oy = 0; oy < g.out_height; ++oy)
            for (std::int64_t ox = 0; ox < g.out_width; ++ox)
                for (std::int64_t dy = 0; dy < g.kernel_height; ++dy) {
                    const std::int64_t iy = oy * g.stride_height + dy - g.pad_top;
                    if (iy < 0 || iy >= g.in_height) continue;
                    for (std::int64_t dx = 0; dx < g.kernel_width; ++dx) {
                        const std::int64_t ix = ox * g.stride_width + dx - g.pad_left;
                        if (ix < 0 || ix >= g.in_width) continue;
                        for (std::int64_t ci = 0; ci < g.in_channels; ++ci)
                            for (std::int64_t co = 0; co < g.out_channels; ++co)
                                visit(((n * g.in_height + iy) * g.in_width + ix) * g.in_channels + ci,
                                      ((n * g.out_height + oy) * g.out_width + ox) * g.out_channels + co,
                                      ((dy * g.kernel_width + dx) * g.in_channels + ci) * g.out_channels + co);
                    }
                }
}

std::int64_t count(const Shape& shape) { return shape.numel(); }

}  // namespace

void conv2d_forward(const Conv2dGeometry& g, const float* x, const float* kernel, float* y,
                    const ConvEpilogue& epilogue) {
    std::vector<double> sum(static_cast<std::size_t>(count(g.output_shape())), 0.0);
    for_each_term(g, [&](std::int64_t i, std::int64_t o, std::int64_t k) {
        sum[static_cast<std::size_t>(o)] += static_cast<double>(x[i]) * kernel[k];
    });
    for (std::size_t o = 0; o < sum.size(); ++o) {
        const double biased = sum[o] + (epilogue.bias ? epilogue.bias[static_cast<std::int64_t>(o) % g.out_channels] : 0.0);
        y[o] = static_cast<float>(activate(biased, epilogue.activation, epilogue.negative_slope));
    }
}

void conv2d_backward_input(const Conv2dGeometry& g, const float* dy, const float* kernel, float* dx, bool accumulate,
                           const ConvEpilogue& epilogue) {
    std::vector<double> sum(static_cast<std::size_t>(count(g.input_shape())), 0.0);
    for_each_term(g, [&](std::int64_t i, std::int64_t o, std::int64_t k) {
        sum[static_cast<std::size_t>(i)] += static_cast<double>(dy[o]) * kernel[k];
    });
    for (std::size_t i = 0; i < sum.size(); ++i) {
        double value = sum[i] + (accumulate ? dx[i] : 0.0);
        value += epilogue.bias ? epilogue.bias[static_cast<std::int64_t>(i) % g.in_channels] : 0.0;
        dx[i] = static_cast<float>(activate(value, epilogue.activation, epilogue.negative_slope));
    }
}

void conv2d_backward_kernel(const Conv2dGeometry& g, const float* x, const float* dy, float* dkernel, bool accumulate) {
    std::vector<double> sum(static_cast<std::size_t>(count(g.kernel_shape())), 0.0);
    for_each_term(g, [&](std::int64_t i, std::int64_t o, std::int64_t k) {
        sum[static_cast<std::size_t>(k)] += static_cast<double>(x[i]) * dy[o];
    });
    for (std::size_t k = 0; k < sum.size(); ++k) dkernel[k] = static_cast<float>(sum[k] + (accumulate ? dkernel[k] : 0.0));
}

}  // namespace smallnet::reference
