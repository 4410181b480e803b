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

// How many images a call stacks in its planes: pixel tiles (48 to 128 raster positions) on images of
// a few dozen positions (a 7x7 output has 63) waste most of their lanes and pay a call's fixed costs
// for little work, so small images go in stacks of about 512 positions. Channel tiles work row by
// row and gain nothing from it; one image keeps their planes in L1.
std::int64_t images_per_call(const PlanarLayout& layout, const ProductTiling& tiling) {
    if (!tiling.pixel_vectors) return 1;
    return std::clamp<std::int64_t>(512 / (layout.rows * layout.columns), 1, 16);
}

void size_planes(PlanarLayout& layout, const ProductTiling& tiling) {
    layout.images = images_per_call(layout, tiling);
    layout.plane_size = round_up(layout.images * layout.rows * layout.columns, 16);
    layout.slack = plane_slack;
}

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
    tiling = kernels.product_tiling(out);
    // Channel tiles take a column stride of 2 on whole columns; otherwise the columns split into
    // phases too, and every read is unit-stride within a plane.
    const std::int64_t column_stride = !tiling.pixel_vectors && sc == 2 ? 2 : 1;
    const std::int64_t phase_columns = column_stride == 2 ? 1 : sc;
    layout = PlanarLayout{};
    layout.height = g.in_height, layout.width = g.in_width, layout.channels = in;
    layout.stride_rows = sr, layout.stride_columns = phase_columns;
    layout.pad_top = g.pad_top, layout.pad_left = g.pad_left;
    layout.rows = g.out_height + (kh - 1) / sr;
    layout.columns = column_stride == 2 ? (g.out_width - 1) * 2 + kw : g.out_width + (kw - 1) / sc;
    size_planes(layout, tiling);

    // Tap (dy, dx) of output (u, v) is padded pixel (u * sr + dy, v * sc + dx): phase plane
    // (dy % sr, dx % phase_columns) at (u + dy / sr, v * column_stride + dx / phase_columns). When a
    // kernel row's taps read consecutive values (unit column phases) they form one group per
    // (dy, ci), term g being tap dx = g.
    const std::int64_t group_size = phase_columns == 1 && kw <= tiling.max_group ? kw : 1;
    const std::int64_t groups = kh * kw * in / group_size;
    offsets.resize(static_cast<std::size_t>(groups));
    term_rows.resize(static_cast<std::size_t>(groups * group_size));
    std::int64_t group = 0;
    for (std::int64_t dy = 0; dy < kh; ++dy)
        for (std::int64_t dx = 0; dx < kw; dx += group_size)
            for (std::int64_t ci = 0; ci < in; ++ci, ++group) {
                const std::int64_t plane = ((dy % sr) * phase_columns + dx % phase_columns) * in + ci;
                offsets[static_cast<std::size_t>(group)] =
                    plane * layout.plane_size + (dy / sr) * layout.columns + dx / phase_columns;
                for (std::int64_t term = 0; term < group_size; ++term)
                    term_rows[static_cast<std::size_t>(group * group_size + term)] = (dy * kw + dx + term) * in + ci;
            }
    const std::int64_t depth = groups * group_size;
    float* packed = weights.reserve(packed_size(depth, out, tiling.block));
    pack(packed, depth, out, tiling.block,
         [&](std::int64_t k, std::int64_t co) { return kernel[term_rows[static_cast<std::size_t>(k)] * out + co]; });
    products.assign(1, PlanarProduct{groups, group_size, column_stride, offsets.data(), packed, g.out_height,
                                     g.out_width, 0, 0, 1, 1});
}

void ProductPlan::backward_input(const Conv2dGeometry& g, const float* kernel, const ConvKernels& kernels) {
    const std::int64_t sr = g.stride_height, sc = g.stride_width, kh = g.kernel_height, kw = g.kernel_width;
    const std::int64_t in = g.in_channels, out = g.out_channels;
    tiling = kernels.product_tiling(in);

    // dx row iy = a + sr * u (phase a) gets kernel row dy when a + pad_top - dy is a multiple of sr,
    // from dy row u + shift, shift = (a + pad_top - dy) / sr; the same for columns. A phase's taps
    // along one axis are sr apart, so their shifts are consecutive.
    const auto axis_taps = [](std::int64_t phase, std::int64_t pad, std::int64_t kernel_size, std::int64_t stride,
                              std::vector<AxisTap>& taps) {
        for (std::int64_t d = kernel_size - 1; d >= 0; --d)  // increasing shift
            if ((phase + pad - d) % stride == 0) taps.push_back({d, floor_divide(phase + pad - d, stride)});
    };
    const auto count = [](std::int64_t phase, std::int64_t size, std::int64_t stride) {
        return phase < size ? (size - phase + stride - 1) / stride : std::int64_t{0};
    };
    phases.clear();
    row_taps.clear();
    column_taps.clear();
    column_first.clear();
    for (std::int64_t b = 0; b < sc; ++b) {
        column_first.push_back(static_cast<std::int64_t>(column_taps.size()));
        axis_taps(b, g.pad_left, kw, sc, column_taps);
    }
    column_first.push_back(static_cast<std::int64_t>(column_taps.size()));
    for (std::int64_t a = 0; a < sr; ++a) {
        const std::int64_t first_row = static_cast<std::int64_t>(row_taps.size());
        axis_taps(a, g.pad_top, kh, sr, row_taps);
        const std::int64_t rows_count = static_cast<std::int64_t>(row_taps.size()) - first_row;
        for (std::int64_t b = 0; b < sc; ++b) {
            const Phase phase{a, b, count(a, g.in_height, sr), count(b, g.in_width, sc), first_row, rows_count,
                              column_first[static_cast<std::size_t>(b)],
                              column_first[static_cast<std::size_t>(b) + 1] - column_first[static_cast<std::size_t>(b)]};
            if (phase.rows > 0 && phase.columns > 0) phases.push_back(phase);
        }
    }

    // The planes: dy padded so that every tap of every phase reads inside them; the raster holds
    // every phase's output row.
    std::int64_t pad_top = 0, pad_left = 0, rows = 1, columns = 1;
    for (const Phase& phase : phases) {
        if (phase.row_count == 0 || phase.column_count == 0) continue;
        pad_top = std::max(pad_top, -row_taps[static_cast<std::size_t>(phase.first_row)].shift);
        pad_left = std::max(pad_left, -column_taps[static_cast<std::size_t>(phase.first_column)].shift);
    }
    for (const Phase& phase : phases) {
        columns = std::max(columns, phase.columns);
        if (phase.row_count == 0 || phase.column_count == 0) continue;
        const AxisTap& bottom = row_taps[static_cast<std::size_t>(phase.first_row + phase.row_count - 1)];
        const AxisTap& right = column_taps[static_cast<std::size_t>(phase.first_column + phase.column_count - 1)];
        rows = std::max(rows, pad_top + phase.rows + bottom.shift);
        columns = std::max(columns, pad_left + phase.columns + right.shift);
    }
    layout = PlanarLayout{};
    layout.height = g.out_height, layout.width = g.out_width, layout.channels = out;
    layout.stride_rows = 1, layout.stride_columns = 1;
    layout.pad_top = pad_top, layout.pad_left = pad_left;
    layout.rows = rows, layout.columns = columns;
    size_planes(layout, tiling);

    // Each phase's terms read dy channel co at the tap's shift, weighted by kernel[dy][dx][ci][co]
    // for output channel ci. Groups are (dy, co) with the phase's column taps as terms, when the
    // tile takes that many; else one term each, (dy, dx, co).
    std::int64_t total_groups = 0, total_weights = 0, total_terms = 0;
    for (Phase& phase : phases) {
        phase.group_size = phase.column_count <= tiling.max_group ? std::max<std::int64_t>(phase.column_count, 1) : 1;
        const std::int64_t terms = phase.row_count * phase.column_count * out;
        total_groups += terms / phase.group_size;
        total_terms += terms;
        total_weights += packed_size(terms, in, tiling.block);
    }
    offsets.resize(static_cast<std::size_t>(total_groups));
    term_rows.resize(static_cast<std::size_t>(total_terms));
    float* packed = weights.reserve(total_weights);
    products.clear();
    std::int64_t* group_offset = offsets.data();
    std::int64_t* term_row = term_rows.data();
    for (const Phase& phase : phases) {
        const std::int64_t group_size = phase.group_size;
        std::int64_t groups = 0, terms = 0;
        for (std::int64_t r = phase.first_row; r < phase.first_row + phase.row_count; ++r)
            for (std::int64_t c = phase.first_column; c < phase.first_column + phase.column_count; c += group_size)
                for (std::int64_t co = 0; co < out; ++co, ++groups) {
                    const AxisTap& row = row_taps[static_cast<std::size_t>(r)];
                    const AxisTap& column = column_taps[static_cast<std::size_t>(c)];
                    group_offset[groups] =
                        co * layout.plane_size + (row.shift + pad_top) * columns + column.shift + pad_left;
                    for (std::int64_t term = 0; term < group_size; ++term, ++terms) {
                        const std::int64_t dx = column_taps[static_cast<std::size_t>(c + term)].index;
                        term_row[terms] = (row.index * kw + dx) * in * out + co;  // kernel[dy][dx][ci = 0][co]
                    }
                }
        pack(packed, terms, in, tiling.block,
             [&](std::int64_t k, std::int64_t ci) { return kernel[term_row[k] + ci * out]; });
        products.push_back(PlanarProduct{groups, group_size, 1, group_offset, packed, phase.rows, phase.columns,
                                         phase.a, phase.b, sr, sc});
        group_offset += groups;
        term_row += terms;
        packed += packed_size(terms, in, tiling.block);
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
