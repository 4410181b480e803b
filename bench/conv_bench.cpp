// Convolution benchmarks: the three passes (forward, backward_input, backward_kernel) of every
// convolution layer of the apps' two conv models at batch 128, on 1 and 2 threads, and beside each
// layer a plain gemm() with the same flops (M = output pixels x batch, N = out channels, K = kernel
// area x in channels), so a pass's rate reads against what the GEMM reaches on a product that size.
// FLOPS counts 2 x multiply-adds of the forward pass, the same for all three passes.
//
//   ./build-kernels/bench/conv_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//       (--benchmark_min_time takes plain seconds in Google Benchmark 1.7.1: 0.2, not 0.2s)
// Each benchmark reports the median and the fastest (min) of its repetitions; FLOPS of the min
// aggregate is then the best rate. Note that the min of a rate counter is the slowest rate.
//
// The layers: the Keras blog's convolutional autoencoder ("blog", 28x28x1 -> 4x4x8 -> 28x28x1) and
// keras.io's denoising autoencoder ("denoise", two 32-filter convolutions, two stride-2
// Conv2DTranspose and a 1-filter output). A Conv2DTranspose layer's forward pass is the
// backward-input pass of its geometry (Conv2dGeometry::transposed), its input gradient the forward
// pass, and its kernel gradient the kernel pass with the two images' roles swapped.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "tensor/conv.hpp"
#include "tensor/creation.hpp"
#include "tensor/matmul.hpp"
#include "tensor/simd.hpp"
#include "tensor/threads.hpp"

namespace {

using smallnet::Activation;
using smallnet::Conv2dGeometry;
using smallnet::Padding;
using smallnet::Shape;
using smallnet::Tensor;

constexpr std::int64_t batch = 128;

struct Layer {
    std::string name;  // "blog/conv2_14x14_16to8"
    Conv2dGeometry geometry;
    bool transposed;        // a Conv2DTranspose: its forward pass is geometry's backward_input
    bool backward_input;    // the model needs the input gradient (not for the first layer)
    Activation activation;  // the forward pass's epilogue, with a bias
};

Layer convolution(std::string name, std::int64_t size, std::int64_t in, std::int64_t out, Padding padding,
                  Activation activation, bool backward_input = true) {
    return {std::move(name), Conv2dGeometry::convolution(Shape{batch, size, size, in}, out, 3, 3, 1, 1, padding),
            false, backward_input, activation};
}

Layer transposed(std::string name, std::int64_t size, std::int64_t channels) {
    return {std::move(name), Conv2dGeometry::transposed(Shape{batch, size, size, channels}, channels, 3, 3, 2, 2,
                                                        Padding::same),
            true, true, Activation::relu};
}

std::vector<Layer> layers() {
    return {
        convolution("blog/conv1_28x28_1to16", 28, 1, 16, Padding::same, Activation::relu, false),
        convolution("blog/conv2_14x14_16to8", 14, 16, 8, Padding::same, Activation::relu),
        convolution("blog/conv3_7x7_8to8", 7, 8, 8, Padding::same, Activation::relu),
        convolution("blog/conv4_4x4_8to8", 4, 8, 8, Padding::same, Activation::relu),
        convolution("blog/conv5_8x8_8to8", 8, 8, 8, Padding::same, Activation::relu),
        convolution("blog/conv6_16x16_8to16_valid", 16, 8, 16, Padding::valid, Activation::relu),
        convolution("blog/conv7_28x28_16to1", 28, 16, 1, Padding::same, Activation::sigmoid),
        convolution("denoise/conv1_28x28_1to32", 28, 1, 32, Padding::same, Activation::relu, false),
        convolution("denoise/conv2_14x14_32to32", 14, 32, 32, Padding::same, Activation::relu),
        transposed("denoise/transpose1_7x7_to_14x14_32", 7, 32),
        transposed("denoise/transpose2_14x14_to_28x28_32", 14, 32),
        convolution("denoise/conv3_28x28_32to1", 28, 32, 1, Padding::same, Activation::sigmoid),
    };
}

enum class Pass { forward, backward_input, backward_kernel };

// The tensors one layer's passes read and write, with random values.
struct Operands {
    Tensor input, output, kernel, bias, input_gradient, output_gradient, kernel_gradient;
    explicit Operands(const Conv2dGeometry& g) {
        smallnet::Generator generator(42);
        input = smallnet::uniform(g.input_shape(), -1.0f, 1.0f, generator);
        output = smallnet::uniform(g.output_shape(), -1.0f, 1.0f, generator);
        kernel = smallnet::uniform(g.kernel_shape(), -0.2f, 0.2f, generator);
        bias = smallnet::uniform(Shape{g.in_channels + g.out_channels}, -0.1f, 0.1f, generator);
        input_gradient = smallnet::zeros(g.input_shape());
        output_gradient = smallnet::zeros(g.output_shape());
        kernel_gradient = smallnet::zeros(g.kernel_shape());
    }
};

// One pass of the layer as the model runs it. For a convolution the "image" the layer reads is the
// geometry's input; for a transposed convolution it is the geometry's output.
void run_pass(const Layer& layer, Pass pass, Operands& x) {
    const Conv2dGeometry& g = layer.geometry;
    const smallnet::ConvEpilogue epilogue{x.bias.data(), layer.activation, 0.3f};
    if (!layer.transposed) {
        switch (pass) {
            case Pass::forward: smallnet::conv2d_forward(g, x.input.data(), x.kernel.data(), x.output_gradient.data(), epilogue); return;
            case Pass::backward_input:
                smallnet::conv2d_backward_input(g, x.output.data(), x.kernel.data(), x.input_gradient.data(), false);
                return;
            case Pass::backward_kernel:
                smallnet::conv2d_backward_kernel(g, x.input.data(), x.output.data(), x.kernel_gradient.data(), false);
                return;
        }
    }
    switch (pass) {
        case Pass::forward:
            smallnet::conv2d_backward_input(g, x.output.data(), x.kernel.data(), x.input_gradient.data(), false, epilogue);
            return;
        case Pass::backward_input: smallnet::conv2d_forward(g, x.input.data(), x.kernel.data(), x.output_gradient.data()); return;
        case Pass::backward_kernel:
            smallnet::conv2d_backward_kernel(g, x.input.data(), x.output.data(), x.kernel_gradient.data(), false);
            return;
    }
}

void benchmark_pass(benchmark::State& state, Layer layer, Pass pass) {
    smallnet::set_num_threads(static_cast<int>(state.range(0)));
    Operands operands(layer.geometry);
    for (auto _ : state) {
        run_pass(layer, pass, operands);
        benchmark::ClobberMemory();
    }
    state.counters["FLOPS"] = benchmark::Counter(layer.geometry.flops(), benchmark::Counter::kIsIterationInvariantRate);
    smallnet::set_num_threads(0);
}

// C[M, N] = A[M, K] · B[K, N] with M = output pixels x batch, N = out channels, K = kernel area x in.
void benchmark_gemm(benchmark::State& state, Layer layer) {
    smallnet::set_num_threads(static_cast<int>(state.range(0)));
    const Conv2dGeometry& g = layer.geometry;
    const std::int64_t m = g.batch * g.out_height * g.out_width, n = g.out_channels,
                       k = g.kernel_height * g.kernel_width * g.in_channels;
    smallnet::Generator generator(42);
    const Tensor a = smallnet::uniform(Shape{m, k}, -1.0f, 1.0f, generator);
    const Tensor b = smallnet::uniform(Shape{k, n}, -1.0f, 1.0f, generator);
    Tensor c = smallnet::zeros(Shape{m, n});
    for (auto _ : state) {
        smallnet::gemm(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n);
        benchmark::ClobberMemory();
    }
    state.counters["FLOPS"] = benchmark::Counter(g.flops(), benchmark::Counter::kIsIterationInvariantRate);
    smallnet::set_num_threads(0);
}

// The fastest of the repetitions, beside Google Benchmark's median: on a machine shared with other
// work the minimum is the steadier figure for comparing two versions of a kernel.
double fastest(const std::vector<double>& values) { return *std::min_element(values.begin(), values.end()); }

void register_layer(const Layer& layer) {
    const auto add = [&](const std::string& what, auto function, auto... arguments) {
        benchmark::RegisterBenchmark((layer.name + "/" + what).c_str(), function, layer, arguments...)
            ->ArgName("threads")
            ->Arg(1)
            ->Arg(2)
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond)
            ->ComputeStatistics("min", fastest);
    };
    add("forward", benchmark_pass, Pass::forward);
    if (layer.backward_input) add("backward_input", benchmark_pass, Pass::backward_input);
    add("backward_kernel", benchmark_pass, Pass::backward_kernel);
    add("gemm", benchmark_gemm);
}

}  // namespace

int main(int argc, char** argv) {
    for (const Layer& layer : layers()) register_layer(layer);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::AddCustomContext("instruction_set",
                                std::string(smallnet::instruction_set_name(smallnet::active_instruction_set())));
    benchmark::AddCustomContext("batch", std::to_string(batch));
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
