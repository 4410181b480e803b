// Convolution: Keras' size arithmetic, and the three passes split between threads.
//
// The arithmetic is in the per-instruction-set kernels (tensor/arch/conv_kernels.hpp explains them);
// this file picks one, plans the call (tensor/arch/conv_plan.hpp: term offsets and the kernel packed
// once per call), then runs one task per image, each with a per-thread scratch buffer for the
// image's padded copy:
//   forward, backward input: the image's products write its output pixels, so images are independent;
//   backward kernel: images are summed in groups of a fixed size, each group into its own partial
//   gradient, then the groups in order, so the rounding does not depend on the thread count.

#include "tensor/conv.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "tensor/arch/conv_kernels.hpp"
#include "tensor/arch/conv_plan.hpp"
#include "tensor/parallel.hpp"
#include "tensor/tensor.hpp"

namespace smallnet {

std::string_view padding_name(Padding padding) { return padding == Padding::same ? "same" : "valid"; }

Padding parse_padding(std::string_view name) {
    if (name == "same") return Padding::same;
    if (name == "valid") return Padding::valid;
    throw std::invalid_argument("unknown padding '" + std::string(name) + "' (expected valid or same)");
}

namespace {

struct AxisPlan {
    std::int64_t out;
    std::int64_t pad_before;
};

// Keras (conv_utils.conv_output_length and TensorFlow's SAME rule): same gives ceil(in / stride)
// outputs and pads max((out - 1) * stride + kernel - in, 0) zeros, the larger half after.
AxisPlan plan_axis(const char* axis, std::int64_t in, std::int64_t kernel, std::int64_t stride, Padding padding) {
    if (padding == Padding::same) {
        const std::int64_t out = (in + stride - 1) / stride;
        const std::int64_t total = std::max<std::int64_t>((out - 1) * stride + kernel - in, 0);
        return {out, total / 2};
    }
    if (in < kernel)
        throw std::invalid_argument("a kernel " + std::string(axis) + " of " + std::to_string(kernel) +
                                    " does not fit an image " + std::string(axis) + " of " + std::to_string(in) +
                                    " with 'valid' padding");
    return {(in - kernel) / stride + 1, 0};
}

void check_sizes(const Shape& x, std::int64_t out_channels, std::int64_t kernel_height, std::int64_t kernel_width,
                 std::int64_t stride_height, std::int64_t stride_width) {
    if (x.rank() != 4) throw_shape_error("conv2d", x, "the input must be rank 4 [batch, height, width, channels]");
    for (int axis = 1; axis < 4; ++axis)
        if (x[axis] < 1) throw_shape_error("conv2d", x, "the height, width and channels must be positive");
    if (out_channels < 1 || kernel_height < 1 || kernel_width < 1)
        throw std::invalid_argument("conv2d: filters and kernel sizes must be positive, got " +
                                    std::to_string(out_channels) + " filters of " + std::to_string(kernel_height) +
                                    "x" + std::to_string(kernel_width));
    if (stride_height < 1 || stride_width < 1)
        throw std::invalid_argument("conv2d: strides must be positive, got " + std::to_string(stride_height) + "x" +
                                    std::to_string(stride_width));
}

}  // namespace

Conv2dGeometry Conv2dGeometry::convolution(const Shape& x, std::int64_t out_channels, std::int64_t kernel_height,
                                           std::int64_t kernel_width, std::int64_t stride_height,
                                           std::int64_t stride_width, Padding padding) {
    check_sizes(x, out_channels, kernel_height, kernel_width, stride_height, stride_width);
    const AxisPlan rows = plan_axis("height", x[1], kernel_height, stride_height, padding);
    const AxisPlan columns = plan_axis("width", x[2], kernel_width, stride_width, padding);
    Conv2dGeometry g;
    g.batch = x[0];
    g.in_height = x[1], g.in_width = x[2], g.in_channels = x[3];
    g.out_height = rows.out, g.out_width = columns.out, g.out_channels = out_channels;
    g.kernel_height = kernel_height, g.kernel_width = kernel_width;
    g.stride_height = stride_height, g.stride_width = stride_width;
    g.pad_top = rows.pad_before, g.pad_left = columns.pad_before;
    return g;
}

Conv2dGeometry Conv2dGeometry::transposed(const Shape& x, std::int64_t out_channels, std::int64_t kernel_height,
                                          std::int64_t kernel_width, std::int64_t stride_height,
                                          std::int64_t stride_width, Padding padding) {
    check_sizes(x, out_channels, kernel_height, kernel_width, stride_height, stride_width);
    // Keras' conv_utils.deconv_output_length without output_padding.
    const auto length = [&](std::int64_t in, std::int64_t kernel, std::int64_t stride) {
        return padding == Padding::same ? in * stride : in * stride + std::max<std::int64_t>(kernel - stride, 0);
    };
    const Shape image{x[0], length(x[1], kernel_height, stride_height), length(x[2], kernel_width, stride_width),
                      out_channels};
    Conv2dGeometry g = convolution(image, x[3], kernel_height, kernel_width, stride_height, stride_width, padding);
    if (g.out_height != x[1] || g.out_width != x[2])  // the arithmetic above guarantees it
        throw std::logic_error("Conv2dGeometry::transposed: the sizes do not round-trip");
    return g;
}

double Conv2dGeometry::flops() const {
    return 2.0 * static_cast<double>(batch * out_height * out_width) *
           static_cast<double>(kernel_height * kernel_width * in_channels) * static_cast<double>(out_channels);
}

namespace {

std::int64_t image_in(const Conv2dGeometry& g) { return g.in_height * g.in_width * g.in_channels; }
std::int64_t image_out(const Conv2dGeometry& g) { return g.out_height * g.out_width * g.out_channels; }

// A thread's scratch for the image kernels, and the layout whose zero padding it holds: the kernels
// write only an image's interior, so the next image of the same layout on this thread can skip
// zeroing the padding. A task never waits for another task while holding it, so a thread cannot
// start a second image that would share it.
using ScratchTag = std::array<std::int64_t, 20>;

struct ImageScratch {
    arch::AlignedFloats buffer;
    ScratchTag tag{};
};

// This thread's scratch for one image, with the next image it will read (null: none).
arch::Scratch image_scratch(const ScratchTag& tag, std::int64_t floats, const float* next = nullptr,
                            std::int64_t next_floats = 0) {
    thread_local ImageScratch scratch;
    bool fresh = false;
    float* data = scratch.buffer.reserve(floats, &fresh);
    const bool clear = fresh || scratch.tag != tag;
    scratch.tag = tag;
    return {data, clear, next, next_floats};
}

ScratchTag tag_of(const arch::PlanarLayout& l) {
    return {1, l.height, l.width, l.channels, l.stride_rows, l.stride_columns, l.pad_top, l.pad_left, l.rows,
            l.columns, l.images, l.plane_size, l.slack};
}

ScratchTag tag_of(const arch::GradientShape& s, const arch::GradientTiling& t) {
    return {2, s.in_height, s.in_width, s.in_channels, s.out_height, s.out_width, s.kernel_height, s.kernel_width,
            s.stride_rows, s.stride_columns, s.pad_top, s.pad_left, s.padded_rows, s.padded_columns, t.run_padded};
}

// Per-call storage of the calling thread, one per nesting level: while it waits for its tasks the
// thread may run another call's task that plans a convolution of its own.
template <class Storage>
class CallStorage {
public:
    CallStorage() {
        if (depth() == stack().size()) stack().push_back(std::make_unique<Storage>());
        storage_ = stack()[depth()++].get();
    }
    ~CallStorage() { --depth(); }
    CallStorage(const CallStorage&) = delete;
    CallStorage& operator=(const CallStorage&) = delete;
    Storage& operator*() { return *storage_; }
    Storage* operator->() { return storage_; }

private:
    static std::vector<std::unique_ptr<Storage>>& stack() {
        thread_local std::vector<std::unique_ptr<Storage>> storages;
        return storages;
    }
    static std::size_t& depth() {
        thread_local std::size_t level = 0;
        return level;
    }
    Storage* storage_;
};

// Runs the plan's products on every image, a task per stack of layout.images images.
void run_products(const arch::ProductPlan& plan, const arch::ConvKernels& kernels, std::int64_t images,
                  const float* input, std::int64_t input_size, float* output, std::int64_t output_size,
                  const arch::ProductOutput& out) {
    const ScratchTag tag = tag_of(plan.layout);
    const std::int64_t scratch_floats = plan.layout.floats() + 16 + kernels.product_scratch;
    const std::int64_t stack = plan.layout.images, stacks = (images + stack - 1) / stack;
    detail::parallel_for(0, stacks, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t s = begin; s < end; ++s) {
            const std::int64_t first = s * stack, count = std::min(stack, images - first);
            const float* next = s + 1 < end ? input + (first + stack) * input_size : nullptr;
            kernels.planar_images(plan.layout, input + first * input_size, count, plan.products.data(),
                                  static_cast<std::int64_t>(plan.products.size()), plan.tiling, out,
                                  output + first * output_size,
                                  image_scratch(tag, scratch_floats, next, std::min(stack, images - first - stack) * input_size));
        }
    });
}

// One output channel, stride 1, three kernel columns, whole vectors of input channels: dot_image.
bool takes_dot_products(const Conv2dGeometry& g, const arch::ConvKernels& kernels) {
    return g.out_channels == 1 && g.stride_height == 1 && g.stride_width == 1 && g.kernel_width == 3 &&
           g.in_channels % kernels.dot_channels == 0;
}

void run_dot_products(const Conv2dGeometry& g, const arch::ConvKernels& kernels, const float* x, const float* kernel,
                      float* y, const arch::ProductOutput& out) {
    arch::DotShape shape{};
    shape.in_height = g.in_height, shape.in_width = g.in_width, shape.in_channels = g.in_channels;
    shape.out_height = g.out_height, shape.out_width = g.out_width, shape.kernel_height = g.kernel_height;
    shape.pad_top = g.pad_top, shape.pad_left = g.pad_left;
    shape.padded_rows = g.out_height + g.kernel_height - 1, shape.padded_columns = g.out_width + 2;
    const ScratchTag tag{3, shape.in_height, shape.in_width, shape.in_channels, shape.out_height, shape.out_width,
                         shape.kernel_height, shape.pad_top, shape.pad_left};
    const std::int64_t scratch_floats = kernels.dot_scratch(shape);
    detail::parallel_for(0, g.batch, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t n = begin; n < end; ++n)  // (the copy into the padded image prefetches ahead)
            kernels.dot_image(shape, x + n * image_in(g), kernel, out, y + n * image_out(g),
                              image_scratch(tag, scratch_floats));
    });
}

// Softmax spans a pixel's channels, which the tiles write a few at a time: the caller applies it
// after the convolution (autograd/ops/conv.cpp does).
void refuse_softmax(const char* function, const ConvEpilogue& epilogue) {
    if (epilogue.activation == Activation::softmax)
        throw std::invalid_argument(std::string(function) + ": softmax is not element-wise; apply it to the output");
}

}  // namespace

void conv2d_forward(const Conv2dGeometry& g, const float* x, const float* kernel, float* y,
                    const ConvEpilogue& epilogue) {
    refuse_softmax("conv2d_forward", epilogue);
    if (g.batch == 0) return;
    const arch::ConvKernels& kernels = arch::conv_kernels();
    const arch::ProductOutput out{g.out_height, g.out_width, g.out_channels, false,
                                  epilogue.bias, epilogue.activation, epilogue.negative_slope};
    if (takes_dot_products(g, kernels)) return run_dot_products(g, kernels, x, kernel, y, out);
    CallStorage<arch::ProductPlan> plan;
    plan->forward(g, kernel, kernels);
    run_products(*plan, kernels, g.batch, x, image_in(g), y, image_out(g), out);
}

void conv2d_backward_input(const Conv2dGeometry& g, const float* dy, const float* kernel, float* dx, bool accumulate,
                           const ConvEpilogue& epilogue) {
    refuse_softmax("conv2d_backward_input", epilogue);
    const bool has_epilogue = epilogue.bias || epilogue.activation != Activation::linear;
    if (accumulate && has_epilogue)
        throw std::invalid_argument("conv2d_backward_input: an epilogue cannot be applied to an accumulated gradient");
    if (g.batch == 0) return;
    const arch::ConvKernels& kernels = arch::conv_kernels();
    CallStorage<arch::ProductPlan> plan;
    plan->backward_input(g, kernel, kernels);
    const arch::ProductOutput out{g.in_height, g.in_width, g.in_channels, accumulate,
                                  epilogue.bias, epilogue.activation, epilogue.negative_slope};
    run_products(*plan, kernels, g.batch, dy, image_out(g), dx, image_in(g), out);
}

namespace {

// Images summed together before the groups' sums are added: fixed, so that the rounding does not
// depend on the thread count.
constexpr std::int64_t kernel_gradient_group = 8;

struct GradientStorage {
    arch::AlignedFloats partials;
    std::vector<float> row;
};

}  // namespace

void conv2d_backward_kernel(const Conv2dGeometry& g, const float* x, const float* dy, float* dkernel, bool accumulate) {
    const std::int64_t kernel_size = g.kernel_height * g.kernel_width * g.in_channels * g.out_channels;
    if (g.batch == 0) {
        if (!accumulate) std::fill(dkernel, dkernel + kernel_size, 0.0f);
        return;
    }
    const arch::ConvKernels& kernels = arch::conv_kernels();
    const arch::GradientShape shape = arch::gradient_shape(g);
    const arch::GradientTiling tiling = kernels.gradient_tiling(shape);
    const ScratchTag tag = tag_of(shape, tiling);
    const std::int64_t scratch_floats = kernels.gradient_scratch(shape, tiling);
    const std::int64_t partial_floats = (tiling.partial_floats(g.kernel_height) + 15) / 16 * 16;
    const std::int64_t groups = (g.batch + kernel_gradient_group - 1) / kernel_gradient_group;
    CallStorage<GradientStorage> storage;
    float* partials = storage->partials.reserve(groups * partial_floats);

    detail::parallel_for(0, groups, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t group = begin; group < end; ++group) {
            const std::int64_t first = group * kernel_gradient_group;
            const std::int64_t last = std::min(g.batch, first + kernel_gradient_group);
            for (std::int64_t n = first; n < last; ++n) {
                kernels.gradient_image(shape, tiling, x + n * image_in(g), dy + n * image_out(g),
                                       partials + group * partial_floats, n == first,
                                       image_scratch(tag, scratch_floats));
            }
        }
    });

    // dkernel[dy][dx][ci][co] = (dkernel +) the groups' partials in order. A partial row is a run of
    // contiguous values in the tiling's layout: output channels (channel vectors) or the kernel row's
    // (dx, ci) run (run vectors).
    const std::int64_t run = g.kernel_width * g.in_channels, channels = g.out_channels;
    const std::int64_t rows = g.kernel_height * (tiling.run_vectors ? channels : run);
    const std::int64_t length = tiling.run_vectors ? run : channels;
    storage->row.resize(static_cast<std::size_t>(length));
    float* total = storage->row.data();
    for (std::int64_t r = 0; r < rows; ++r) {
        const std::int64_t dy_row = r / (tiling.run_vectors ? channels : run);
        const std::int64_t within = r % (tiling.run_vectors ? channels : run);  // co or t
        const std::int64_t offset = tiling.run_vectors
                                        ? (dy_row * tiling.channels_padded + within) * tiling.run_padded
                                        : (dy_row * tiling.run_padded + within) * tiling.channels_padded;
        // Where element j of the row goes in dkernel.
        const std::int64_t start = tiling.run_vectors ? dy_row * run * channels + within : (dy_row * run + within) * channels;
        const std::int64_t step = tiling.run_vectors ? channels : 1;
        const float* partial = partials + offset;
        for (std::int64_t j = 0; j < length; ++j)
            total[j] = accumulate ? dkernel[start + j * step] + partial[j] : partial[j];
        for (std::int64_t group = 1; group < groups; ++group) {
            const float* more = partials + group * partial_floats + offset;
            for (std::int64_t j = 0; j < length; ++j) total[j] += more[j];
        }
        for (std::int64_t j = 0; j < length; ++j) dkernel[start + j * step] = total[j];
    }
}

}  // namespace smallnet
