// The graph's overhead: forward + backward of the seed's MNIST autoencoder (784-128-32-128-784,
// relu/sigmoid, MSE) through autograd, beside the same GEMMs called directly, at batch 256 and 1.
//
// At batch 1 the step is bound by memory, not arithmetic: it reads each kernel (forward, and again
// for dx) and writes each kernel gradient, 1.6 MB per step that do not fit in a 1 MB L2 together.
// BM_weight_traffic moves exactly those bytes in the step's order with the fastest streaming code we
// have and no arithmetic: no batch-1 step on one core can be faster than it.
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>
#include <vector>

#include "nn/nn.hpp"

using namespace smallnet;

namespace {

constexpr std::int64_t widths[] = {784, 128, 32, 128, 784};

struct Weights {
    std::vector<Var> kernels, biases;
    explicit Weights(std::uint64_t seed) {
        Generator g(seed);
        for (int layer = 0; layer < 4; ++layer) {
            kernels.emplace_back(glorot_uniform(widths[layer], widths[layer + 1], g), true);
            biases.emplace_back(zeros(Shape{widths[layer + 1]}), true);
        }
    }
};

void set_context(benchmark::State& state, int threads) {
    set_num_threads(threads);
    state.counters["threads"] = threads;
}

// One training step's forward and backward through the graph (no optimizer step). fused = 1: the last
// layer and the loss as one op, linear_squared_error, as Dense and fit train this model; fused = 0:
// linear with sigmoid, then mean_squared_error.
void BM_autograd_step(benchmark::State& state) {
    const std::int64_t batch = state.range(0);
    set_context(state, static_cast<int>(state.range(1)));
    const bool fused = state.range(2) != 0;
    Weights w(1);
    Generator g(2);
    const Tensor x = uniform(Shape{batch, 784}, 0.0f, 1.0f, g);
    for (auto _ : state) {
        for (int layer = 0; layer < 4; ++layer) w.kernels[layer].zero_grad(), w.biases[layer].zero_grad();
        Var h = Var(x);
        for (int layer = 0; layer < 3; ++layer) h = linear(h, w.kernels[layer], w.biases[layer], Activation::relu);
        Var loss = fused ? linear_squared_error(h, w.kernels[3], w.biases[3], Activation::sigmoid, x)
                         : mean_squared_error(linear(h, w.kernels[3], w.biases[3], Activation::sigmoid), x);
        loss.backward();
        benchmark::DoNotOptimize(w.kernels[0].node().grad.data());
    }
    set_num_threads(0);
}

// The 11 GEMMs of the same step called directly, with the forward epilogues.
void BM_direct_gemms(benchmark::State& state) {
    const std::int64_t batch = state.range(0);
    set_context(state, static_cast<int>(state.range(1)));
    Weights w(1);
    Generator g(2);
    std::vector<Tensor> activations{uniform(Shape{batch, 784}, 0.0f, 1.0f, g)};
    std::vector<Tensor> deltas, kernel_grads;
    for (int layer = 0; layer < 4; ++layer) {
        activations.push_back(Tensor(Shape{batch, widths[layer + 1]}));
        deltas.push_back(uniform(Shape{batch, widths[layer + 1]}, -1.0f, 1.0f, g));
        kernel_grads.push_back(Tensor(Shape{widths[layer], widths[layer + 1]}));
    }
    for (auto _ : state) {
        for (int layer = 0; layer < 4; ++layer)
            matmul(activations[layer], w.kernels[layer].value(), activations[layer + 1],
                   {.bias = &w.biases[layer].value(), .activation = layer == 3 ? Activation::sigmoid : Activation::relu});
        for (int layer = 3; layer >= 0; --layer) {  // in linear_backward's order: dx, then dKernel
            if (layer > 0) matmul(deltas[layer], w.kernels[layer].value(), deltas[layer - 1], {.transpose_b = true});
            matmul(activations[layer], deltas[layer], kernel_grads[layer], {.transpose_a = true});
        }
        benchmark::DoNotOptimize(kernel_grads[0].data());
    }
    set_num_threads(0);
}

// The weight-sized reads and writes of one batch-1 step, in its order: the forward reads kernels 1-4,
// the backward reads each kernel again for dx (not for layer 1), then writes its gradient.
// Reads go through sum (the library's vectorised reduction), writes through memset (glibc's).
void BM_weight_traffic(benchmark::State& state) {
    set_context(state, 1);
    Weights w(1);
    std::vector<Tensor> kernel_grads;
    for (int layer = 0; layer < 4; ++layer) kernel_grads.push_back(zeros(Shape{widths[layer], widths[layer + 1]}));
    double bytes = 0.0;
    for (auto _ : state) {
        for (int layer = 0; layer < 4; ++layer) benchmark::DoNotOptimize(sum(w.kernels[layer].value()).item());
        for (int layer = 3; layer >= 0; --layer) {
            if (layer > 0) benchmark::DoNotOptimize(sum(w.kernels[layer].value()).item());
            Tensor& grad = kernel_grads[layer];
            std::memset(grad.data(), 0, static_cast<std::size_t>(grad.numel()) * sizeof(float));
            benchmark::ClobberMemory();
        }
    }
    for (int layer = 0; layer < 4; ++layer)
        bytes += static_cast<double>(widths[layer] * widths[layer + 1] * 4) * (layer > 0 ? 3 : 2);
    state.counters["bytes"] = benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate);
    set_num_threads(0);
}

}  // namespace

BENCHMARK(BM_weight_traffic)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_autograd_step)->ArgNames({"batch", "threads", "fused"})->ArgsProduct({{256}, {1, 2}, {0, 1}})
    ->ArgsProduct({{1}, {1}, {0, 1}})->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_direct_gemms)->ArgNames({"batch", "threads"})->Args({256, 1})->Args({256, 2})->Args({1, 1})->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    benchmark::AddCustomContext("instruction_set", std::string(instruction_set_name(active_instruction_set())));
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
