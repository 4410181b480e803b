// Element-wise kernels in bytes per second (bytes read + bytes written by the kernel's own arrays),
// in cache (64K floats) and far beyond it (64M floats = 256 MB per tensor), at 1 and 2 threads, next
// to a plain triad a[i] = b[i] + s * c[i] on the same large size and thread count: the ratio of a
// kernel's rate to the triad's is how much of the machine's memory bandwidth it reaches.
//
//   ./build/bench/elementwise_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// BM_threshold_* time one kernel call on one thread against the same call split in two between
// two threads, for the parallel threshold in tensor/elementwise_parallel.hpp.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "tensor/arch/elementwise_kernels.hpp"
#include "tensor/creation.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/parallel.hpp"
#include "tensor/simd.hpp"
#include "tensor/storage.hpp"
#include "tensor/threads.hpp"

using namespace smallnet;

namespace {

constexpr std::int64_t in_cache = std::int64_t{1} << 16;
constexpr std::int64_t beyond_cache = std::int64_t{1} << 26;

// Sets the worker count for one benchmark and returns the tensors' blocks to the system after it,
// so the 256 MB buffers of one benchmark do not stay cached through the next.
class BenchmarkScope {
public:
    explicit BenchmarkScope(const benchmark::State& state) { set_num_threads(static_cast<int>(state.range(1))); }
    ~BenchmarkScope() { release_storage_cache(); }
};

Tensor random_tensor(const Shape& shape, std::uint64_t seed, float low = -4.0f, float high = 4.0f) {
    Generator generator(seed);
    return uniform(shape, low, high, generator);
}

void set_bytes(benchmark::State& state, std::int64_t bytes_per_iteration) {
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * bytes_per_iteration);
}

template <UnaryOp op>
void BM_unary(benchmark::State& state) {
    const std::int64_t n = state.range(0);
    BenchmarkScope scope(state);
    const Tensor x = random_tensor({n}, 1);
    Tensor y = zeros({n});
    for (auto _ : state) {
        unary(op, x, y);
        benchmark::ClobberMemory();
    }
    set_bytes(state, 8 * n);
}

void BM_add(benchmark::State& state) {
    const std::int64_t n = state.range(0);
    BenchmarkScope scope(state);
    const Tensor a = random_tensor({n}, 2), b = random_tensor({n}, 3);
    Tensor out = zeros({n});
    for (auto _ : state) {
        binary(BinaryOp::add, a, b, out);
        benchmark::ClobberMemory();
    }
    set_bytes(state, 12 * n);
}

// [rows, cols] + [cols], square: a bias added to every row of a batch.
void BM_add_row_broadcast(benchmark::State& state) {
    const std::int64_t n = state.range(0);
    std::int64_t cols = 1;
    while (cols * cols < n) cols *= 2;
    const std::int64_t rows = n / cols;
    BenchmarkScope scope(state);
    const Tensor a = random_tensor({rows, cols}, 4), bias = random_tensor({cols}, 5);
    Tensor out = zeros({rows, cols});
    for (auto _ : state) {
        binary(BinaryOp::add, a, bias, out);
        benchmark::ClobberMemory();
    }
    set_bytes(state, 4 * (2 * rows * cols + cols));
}

void BM_sum(benchmark::State& state) {
    const std::int64_t n = state.range(0);
    BenchmarkScope scope(state);
    const Tensor x = random_tensor({n}, 6);
    for (auto _ : state) benchmark::DoNotOptimize(sum(x));
    set_bytes(state, 4 * n);
}

void BM_adam_update(benchmark::State& state) {
    const std::int64_t n = state.range(0);
    BenchmarkScope scope(state);
    Tensor p = random_tensor({n}, 7), m = zeros({n}), v = zeros({n});
    const Tensor g = random_tensor({n}, 8);
    std::int64_t step = 0;
    for (auto _ : state) {
        adam_update(p, g, m, v, AdamStep{.step = ++step});
        benchmark::ClobberMemory();
    }
    set_bytes(state, 4 * (4 + 3) * n);  // reads p, g, m, v; writes p, m, v
}

// fit's update with two row blocks (FitOptions::row_blocks): Adam on the sum of the two blocks'
// gradients, at the seed's model's 209,968 weights (784-128-32-128-784).
void BM_adam_update_two_gradients(benchmark::State& state) {
    const std::int64_t n = state.range(0);
    BenchmarkScope scope(state);
    Tensor p = random_tensor({n}, 7), m = zeros({n}), v = zeros({n});
    Tensor g = random_tensor({n}, 8);
    const Tensor more = random_tensor({n}, 9);
    std::int64_t step = 0;
    for (auto _ : state) {
        adam_update(p, g, more, m, v, AdamStep{.step = ++step});
        benchmark::ClobberMemory();
    }
    set_bytes(state, 4 * (5 + 4) * n);  // reads p, both gradients, m, v; writes p, the sum, m, v
}

// STREAM's triad as a simple loop. Cloned per instruction set (GCC picks the clone at load time):
// built for baseline SSE2 only, one core moves 16 bytes per load and reached just 26 GB/s here where
// the 64-byte kernels reached 32, which would flatter every ratio to it.
__attribute__((target_clones("avx512f", "avx2", "default"))) void triad(float* a, const float* b, const float* c,
                                                                       float s, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
}

// The bandwidth yardstick: the triad split between the same threads as the kernels.
void BM_triad(benchmark::State& state) {
    const std::int64_t n = state.range(0);
    BenchmarkScope scope(state);
    const Tensor b = random_tensor({n}, 9), c = random_tensor({n}, 10);
    Tensor a = zeros({n});
    const float s = 3.0f;
    const float* bs = b.data();
    const float* cs = c.data();
    float* as = a.data();
    // The kernels' grain, not n / threads: with two fixed halves one descheduled thread (this is a
    // shared machine) stalls the whole triad, while the kernels' smaller pieces get rebalanced.
    const std::int64_t grain = std::int64_t{1} << 17;
    for (auto _ : state) {
        detail::parallel_for(0, n, grain, [&](std::int64_t begin, std::int64_t end) {
            triad(as + begin, bs + begin, cs + begin, s, end - begin);
        });
        benchmark::ClobberMemory();
    }
    set_bytes(state, 12 * n);
}

// One call on the calling thread (parts 1) or split in two halves for two threads (parts 2).
template <UnaryOp op>
void BM_threshold(benchmark::State& state) {
    const std::int64_t n = state.range(0), parts = state.range(1);
    set_num_threads(2);
    const Tensor x = random_tensor({n}, 11);
    Tensor y = zeros({n});
    const auto& kernels = arch::elementwise_kernels();
    for (auto _ : state) {
        detail::parallel_for(0, n, (n + parts - 1) / parts, [&](std::int64_t begin, std::int64_t end) {
            kernels.unary(op, x.data() + begin, y.data() + begin, end - begin, 0.0f);
        });
        benchmark::ClobberMemory();
    }
    set_bytes(state, 8 * n);
}

void sizes_and_threads(benchmark::internal::Benchmark* b) {
    b->ArgsProduct({{in_cache, beyond_cache}, {1, 2}})->ArgNames({"n", "threads"})->UseRealTime();
}

void threshold_sizes(benchmark::internal::Benchmark* b) {
    b->ArgsProduct({{4096, 8192, 16384, 32768, 65536, 131072, 262144}, {1, 2}})->ArgNames({"n", "parts"})->UseRealTime();
}

}  // namespace

BENCHMARK(BM_unary<UnaryOp::relu>)->Name("BM_relu")->Apply(sizes_and_threads);
BENCHMARK(BM_unary<UnaryOp::sigmoid>)->Name("BM_sigmoid")->Apply(sizes_and_threads);
BENCHMARK(BM_add)->Apply(sizes_and_threads);
BENCHMARK(BM_add_row_broadcast)->Apply(sizes_and_threads);
BENCHMARK(BM_sum)->Apply(sizes_and_threads);
BENCHMARK(BM_adam_update)->Apply(sizes_and_threads);
BENCHMARK(BM_adam_update_two_gradients)->ArgsProduct({{209968}, {1, 2}})->ArgNames({"n", "threads"})->UseRealTime();
BENCHMARK(BM_triad)->ArgsProduct({{beyond_cache}, {1, 2}})->ArgNames({"n", "threads"})->UseRealTime();
BENCHMARK(BM_threshold<UnaryOp::relu>)->Name("BM_threshold_relu")->Apply(threshold_sizes);
BENCHMARK(BM_threshold<UnaryOp::sigmoid>)->Name("BM_threshold_sigmoid")->Apply(threshold_sizes);

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::AddCustomContext("instruction_set", std::string(instruction_set_name(active_instruction_set())));
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
