// Plans for the convolution kernels: where each term of a product reads in the planes, and the
// kernel packed in the same term order, one block of output channels after another.

#include "tensor/arch/conv_plan.hpp"

#include <algorithm>
#include <new>

namespace smallnet::arch {

AlignedFloats::~AlignedFloats() {
    if (data_) ::operator delete(data_, std::align_val_t{64});
}

float* AlignedFloats::reserve(std::int64_t count, bool* fresh) {
    count = std::max<std::int64_t>(count, 16);
    const bool grow = count > capacity_;
    if (grow) {
        if (data_) ::operator delete(data_, std::align_val_t{64});
        data_ = static_cast<float*>(::operator new(static_cast<std::size_t>(count) * sizeof(float), std::align_val_t{64}));
        capacity_ = count;
    }
    if (fresh) *fresh = grow;
    return data_;
}

namespace {

std::int64_t round_up(std::int64_t value, std::int64_t multiple) { return (value + multiple - 1) / multiple * multiple; }

// Zeros after the last plane: a tile reads at most this far past the last output position.
constexpr std::int64_t plane_slack = 512;

// The packed weights of one product: packed[(block * depth + k) * width + c] = value(k, block * width
// + c), zero for channels past `channels`.
template <class Value>
void pack(float* packed, std::int64_t depth, std::int64_t channels, std::int64_t width, Value value) {
    const std::int64_t blocks = (channels + width - 1) / width;
    for (std::int64_t block = 0; block < blocks; ++block)
        for (std::int64_t k = 0; k < depth; ++k) {
            float* row = packed + (block * depth + k) * width;
            for (std::int64_t c = 0; c < width; ++c) {
                const std::int64_t channel = block * width + c;
                row[c] = channel < channels ? value(k, channel) : 0.0f;
            }
        }
}

std::int64_t packed_size(std::int64_t depth, std::int64_t channels, std::int64_t width) {
    return (channels + width - 1) / width * depth * width;
}

// Floor division for the tap arithmetic, whose numerators can be negative.
std::int64_t floor_divide(std::int64_t a, std::int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

}  // namespace

void ProductPlan::forward(const Conv2dGeometry& g, const float* kernel, const ConvKernels& kernels) {
    const std::int64_t sr = g.stride_height, sc = g.stride_width, kh = g.kernel_height, kw = g.kernel_width;
    const std::int64_t in = g.in_channels, out = g.out_channels;
    layout = PlanarLayout{};
    layout.height = g.in_height, layout.width = g.in_width, layout.channels = in;
    layout.stride_rows = sr, layout.stride_columns = sc;
    layout.pad_top = g.pad_top, layout.pad_left = g.pad_left;
    layout.rows = g.out_height + (kh - 1) / sr;
    layout.columns = g.out_width + (kw - 1) / sc;
    layout.plane_size = round_up(layout.rows * layout.columns, 16);
    layout.slack = plane_slack;
    tiling = kernels.product_tiling(out);

    // Term k = (dy, dx, ci) in the kernel's own order: tap (dy, dx) of output (u, v) is padded pixel
    // (u * sr + dy, v * sc + dx), in phase plane (dy % sr, dx % sc) at (u + dy / sr, v + dx / sc).
    const std::int64_t depth = kh * kw * in;
    offsets.resize(static_cast<std::size_t>(depth));
    for (std::int64_t dy = 0; dy < kh; ++dy)
        for (std::int64_t dx = 0; dx < kw; ++dx)
            for (std::int64_t ci = 0; ci < in; ++ci) {
                const std::int64_t plane = ((dy % sr) * sc + dx % sc) * in + ci;
                offsets[static_cast<std::size_t>((dy * kw + dx) * in + ci)] =
                    plane * layout.plane_size + (dy / sr) * layout.columns + dx / sc;
            }
    float* packed = weights.reserve(packed_size(depth, out, tiling.block));
    pack(packed, depth, out, tiling.block, [&](std::int64_t k, std::int64_t co) { return kernel[k * out + co]; });
    products.assign(1, PlanarProduct{depth, offsets.data(), packed, g.out_height, g.out_width, 0, 0, 1, 1});
}

void ProductPlan::backward_input(const Conv2dGeometry& g, const float* kernel, const ConvKernels& kernels) {
    const std::int64_t sr = g.stride_height, sc = g.stride_width, kh = g.kernel_height, kw = g.kernel_width;
    const std::int64_t in = g.in_channels, out = g.out_channels;
    // dx row iy = a + sr * u (phase a) gets kernel row dy when a + pad_top - dy is a multiple of sr,
    // from dy row u + shift, shift = (a + pad_top - dy) / sr; the same for columns.
    const auto reaches = [](std::int64_t phase, std::int64_t pad, std::int64_t d, std::int64_t stride) {
        return (phase + pad - d) % stride == 0;
    };
    const auto shift = [](std::int64_t phase, std::int64_t pad, std::int64_t d, std::int64_t stride) {
        return floor_divide(phase + pad - d, stride);
    };
    const auto count = [](std::int64_t phase, std::int64_t size, std::int64_t stride) {
        return phase < size ? (size - phase + stride - 1) / stride : std::int64_t{0};
    };

    // The phases with outputs, and their taps in (dy, dx) order.
    phases.clear();
    taps.clear();
    for (std::int64_t a = 0; a < sr; ++a)
        for (std::int64_t b = 0; b < sc; ++b) {
            const Phase phase{a, b, count(a, g.in_height, sr), count(b, g.in_width, sc),
                              static_cast<std::int64_t>(taps.size()), 0};
            if (phase.rows == 0 || phase.columns == 0) continue;
            phases.push_back(phase);
            for (std::int64_t dy = 0; dy < kh; ++dy)
                for (std::int64_t dx = 0; dx < kw; ++dx)
                    if (reaches(a, g.pad_top, dy, sr) && reaches(b, g.pad_left, dx, sc)) {
                        taps.push_back({dy, dx});
                        ++phases.back().tap_count;
                    }
        }

    // The planes: dy padded so that every tap of every phase reads inside them; the raster holds
    // every phase's output row.
    std::int64_t pad_top = 0, pad_left = 0, rows = 1, columns = 1;
    for (const Phase& phase : phases) {
        columns = std::max(columns, phase.columns);
        for (std::int64_t t = phase.first_tap; t < phase.first_tap + phase.tap_count; ++t) {
            pad_top = std::max(pad_top, -shift(phase.a, g.pad_top, taps[t].dy, sr));
            pad_left = std::max(pad_left, -shift(phase.b, g.pad_left, taps[t].dx, sc));
        }
    }
    for (const Phase& phase : phases)
        for (std::int64_t t = phase.first_tap; t < phase.first_tap + phase.tap_count; ++t) {
            rows = std::max(rows, pad_top + phase.rows + shift(phase.a, g.pad_top, taps[t].dy, sr));
            columns = std::max(columns, pad_left + phase.columns + shift(phase.b, g.pad_left, taps[t].dx, sc));
        }
    layout = PlanarLayout{};
    layout.height = g.out_height, layout.width = g.out_width, layout.channels = out;
    layout.stride_rows = 1, layout.stride_columns = 1;
    layout.pad_top = pad_top, layout.pad_left = pad_left;
    layout.rows = rows, layout.columns = columns;
    layout.plane_size = round_up(rows * columns, 16);
    layout.slack = plane_slack;
    tiling = kernels.product_tiling(in);

    // Each phase's terms k = (tap, co) read dy channel co at the tap's shift, weighted by
    // kernel[dy][dx][ci][co] for output channel ci.
    std::int64_t total_depth = 0, total_weights = 0;
    for (const Phase& phase : phases) {
        total_depth += phase.tap_count * out;
        total_weights += packed_size(phase.tap_count * out, in, tiling.block);
    }
    offsets.resize(static_cast<std::size_t>(total_depth));
    float* packed = weights.reserve(total_weights);
    products.clear();
    std::int64_t* phase_offsets = offsets.data();
    for (const Phase& phase : phases) {
        const Tap* phase_taps = taps.data() + phase.first_tap;
        const std::int64_t depth = phase.tap_count * out;
        for (std::int64_t t = 0; t < phase.tap_count; ++t) {
            const std::int64_t position = (shift(phase.a, g.pad_top, phase_taps[t].dy, sr) + pad_top) * columns +
                                          shift(phase.b, g.pad_left, phase_taps[t].dx, sc) + pad_left;
            for (std::int64_t co = 0; co < out; ++co) phase_offsets[t * out + co] = co * layout.plane_size + position;
        }
        pack(packed, depth, in, tiling.block, [&](std::int64_t k, std::int64_t ci) {
            const Tap& tap = phase_taps[k / out];
            return kernel[((tap.dy * kw + tap.dx) * in + ci) * out + k % out];
        });
        products.push_back(
            PlanarProduct{depth, phase_offsets, packed, phase.rows, phase.columns, phase.a, phase.b, sr, sc});
        phase_offsets += depth;
        packed += packed_size(depth, in, tiling.block);
    }
}

GradientShape gradient_shape(const Conv2dGeometry& g) {
    GradientShape s{};
    s.in_height = g.in_height, s.in_width = g.in_width, s.in_channels = g.in_channels;
    s.out_height = g.out_height, s.out_width = g.out_width, s.out_channels = g.out_channels;
    s.kernel_height = g.kernel_height, s.kernel_width = g.kernel_width;
    s.stride_rows = g.stride_height, s.stride_columns = g.stride_width;
    s.pad_top = g.pad_top, s.pad_left = g.pad_left;
    s.padded_rows = (g.out_height - 1) * g.stride_height + g.kernel_height;
    s.padded_columns = (g.out_width - 1) * g.stride_width + g.kernel_width;
    return s;
}

}  // namespace smallnet::arch
