// The whole training step of the apps' two convolutional autoencoders, as fit runs it (shuffled
// batch of uint8 images converted to floats, forward, loss, backward, Adam), at batch 128 on 1 and 2
// threads. `flops` counts the convolutions' multiply-adds (forward, input gradient where a layer's
// input needs one, kernel gradient), so FLOP/s says how close the step runs to the kernels' rates in
// conv_bench; time per step times 469 is an epoch of 60k images. Each at 1 and 2 threads, with the
// batch in one pass or as fit's two row blocks.
#include <benchmark/benchmark.h>

#include <vector>

#include "nn/nn.hpp"

using namespace smallnet;

namespace {

constexpr std::int64_t batch = 128, steps = 8;

// A Conv2D with 3x3 kernels, or a pooling / upsampling step, as the models below list them.
struct Stage {
    char kind;  // 'c' conv, 't' transposed conv (stride 2), 'p' max pool 2 same, 'u' upsample 2
    std::int64_t filters = 0;
    Padding padding = Padding::same;
    const char* activation = "relu";
};

// The Keras blog's conv autoencoder and keras.io's denoiser (apps/ae_mnist.cpp builds the same).
const std::vector<Stage> blog = {{'c', 16}, {'p'}, {'c', 8}, {'p'}, {'c', 8}, {'p'},
                                 {'c', 8},  {'u'}, {'c', 8}, {'u'}, {'c', 16, Padding::valid}, {'u'},
                                 {'c', 1, Padding::same, "sigmoid"}};
const std::vector<Stage> denoise = {{'c', 32}, {'p'}, {'c', 32}, {'p'}, {'t', 32}, {'t', 32},
                                    {'c', 1, Padding::same, "sigmoid"}};

Sequential make_model(const std::vector<Stage>& stages) {
    Sequential model({Input({28, 28, 1})});
    for (const Stage& s : stages) {
        if (s.kind == 'c') model.add(Conv2D(s.filters, 3, s.activation, {.padding = s.padding}));
        if (s.kind == 't') model.add(Conv2DTranspose(s.filters, 3, s.activation, {.strides = 2, .padding = s.padding}));
        if (s.kind == 'p') model.add(MaxPooling2D(2, {.padding = Padding::same}));
        if (s.kind == 'u') model.add(UpSampling2D(2));
    }
    return model;
}

// 2 x multiply-adds of forward + input gradient (not for the first layer) + kernel gradient, per image.
double step_flops(const std::vector<Stage>& stages) {
    std::int64_t height = 28, width = 28, channels = 1;
    double total = 0;
    bool first = true;
    for (const Stage& s : stages) {
        if (s.kind == 'p') height = (height + 1) / 2, width = (width + 1) / 2;
        if (s.kind == 'u') height *= 2, width *= 2;
        if (s.kind != 'c' && s.kind != 't') continue;
        const std::int64_t in_pixels = height * width;
        if (s.kind == 't') height *= 2, width *= 2;
        if (s.padding == Padding::valid) height -= 2, width -= 2;
        // A transposed conv does the work of the conv it is the gradient of: its input's pixels.
        const double pixels = static_cast<double>(s.kind == 't' ? in_pixels : height * width);
        const double forward = 2.0 * pixels * 9.0 * static_cast<double>(channels * s.filters);
        total += forward * (first ? 2 : 3);
        channels = s.filters;
        first = false;
    }
    return total * batch;
}

void BM_training_step(benchmark::State& state, const std::vector<Stage>& stages) {
    set_num_threads(static_cast<int>(state.range(0)));
    Generator generator(1);
    std::vector<std::uint8_t> pixels(static_cast<std::size_t>(batch * steps * 784));
    for (auto& p : pixels) p = static_cast<std::uint8_t>(generator.below(256));
    const Data images = Data(ByteMatrix(pixels, batch * steps, 784, 1.0f / 255)).reshape_samples({28, 28, 1});
    Sequential model = make_model(stages);
    model.compile(Adam(), "bce");
    const FitOptions options{.epochs = 1, .batch_size = batch, .verbose = 0, .row_blocks = static_cast<int>(state.range(1))};
    model.fit(images, images, options);  // warm the buffers
    for (auto _ : state) model.fit(images, images, options);
    state.counters["threads"] = static_cast<double>(state.range(0));
    state.counters["steps/s"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsIterationInvariantRate);
    state.counters["FLOP/s"] = benchmark::Counter(step_flops(stages) * steps, benchmark::Counter::kIsIterationInvariantRate);
    set_num_threads(0);
}

}  // namespace

// row_blocks: the batch in one pass (1) or as two row blocks at once (2, fit's default at batch 128).
BENCHMARK_CAPTURE(BM_training_step, blog, blog)->ArgNames({"threads", "row_blocks"})->ArgsProduct({{1, 2}, {1, 2}})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_training_step, denoise, denoise)->ArgNames({"threads", "row_blocks"})->ArgsProduct({{1, 2}, {1, 2}})->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
