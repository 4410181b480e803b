// GEMM benchmarks: the 11 products of one training step of the MNIST autoencoder 784-128-32-128-784
// at batch 256, one by one and together (BM_training_step_gemms), plus a square 1024 product, each on
// 1 and 2 threads; and, where OpenBLAS is installed, the same shapes through cblas_sgemm
// (BM_openblas_*). FLOPS counts 2 m n k per product.
// The same products with the operands rounded to bf16 (Precision::bf16, BM_bf16_*), where the CPU has
// AVX512_BF16, on 1 and 2 threads, and at batch 1 (BM_bf16_batch1_*: x · W through row_times_rows,
// dY · Wᵀ through row_times_transposed, dW = xᵀ · dY through outer_product).
// BM_(bf16_)training_step_gemms_row_blocks: the same 11 products as fit computes them on 2 threads, the
// batch as two row blocks of 128 at once, one per thread (run_both).
// The same 11 products at batch 1 (BM_batch1_*, one thread: they run on one) have one row or k = 1 and
// are limited by how fast the weights stream through the caches, so they count bytes as well: the
// weight-shaped operand read (x · W, dY · Wᵀ) or written (dW = xᵀ · dY).
//
//   OPENBLAS_CORETYPE=Cooperlake ./build/bench/gemm_bench --benchmark_repetitions=5
//       (with --benchmark_report_aggregates_only=true)
//
// Weights are stored [in, out] and the forward pass is Y = X · W, so the backward pass needs
// dW = Xᵀ · dY (transpose_a) and dX = dY · Wᵀ (transpose_b); layer 1 needs no dX.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tensor/creation.hpp"
#include "tensor/matmul.hpp"
#include "tensor/simd.hpp"
#include "tensor/threads.hpp"

#ifdef SMALLNET_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace {

using smallnet::Tensor;

struct Product {
    std::string name;
    std::int64_t m, n, k;
    bool transpose_a = false;
    bool transpose_b = false;
    double flops() const { return 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k); }
};

// The step's products at a given batch size, named with `prefix`.
std::vector<Product> training_step_products(std::int64_t batch, const std::string& prefix) {
    return {
        {prefix + "forward_784x128", batch, 128, 784},
        {prefix + "forward_128x32", batch, 32, 128},
        {prefix + "forward_32x128", batch, 128, 32},
        {prefix + "forward_128x784", batch, 784, 128},
        {prefix + "weight_grad_784x128", 784, 128, batch, true, false},
        {prefix + "weight_grad_128x32", 128, 32, batch, true, false},
        {prefix + "weight_grad_32x128", 32, 128, batch, true, false},
        {prefix + "weight_grad_128x784", 128, 784, batch, true, false},
        {prefix + "input_grad_128x32", batch, 128, 32, false, true},
        {prefix + "input_grad_32x128", batch, 32, 128, false, true},
        {prefix + "input_grad_128x784", batch, 128, 784, false, true},
    };
}

// Bytes of the weight-shaped operand of a product of the step: B for x · W and dY · Wᵀ, C for dW.
double weight_bytes(const Product& p) {
    const double elements = p.transpose_a ? static_cast<double>(p.m) * static_cast<double>(p.n)
                                          : static_cast<double>(p.n) * static_cast<double>(p.k);
    return elements * sizeof(float);
}

const Product square_product{"square_1024", 1024, 1024, 1024};

// The operands of one product, stored as the transpose flags say, with random values.
struct Operands {
    Tensor a, b, c;
    std::int64_t lda, ldb;

    explicit Operands(const Product& p) {
        smallnet::Generator generator(42);
        a = smallnet::uniform(p.transpose_a ? smallnet::Shape{p.k, p.m} : smallnet::Shape{p.m, p.k}, -1.0f, 1.0f,
                              generator);
        b = smallnet::uniform(p.transpose_b ? smallnet::Shape{p.n, p.k} : smallnet::Shape{p.k, p.n}, -1.0f, 1.0f,
                              generator);
        c = smallnet::zeros({p.m, p.n});
        lda = a.size(1);
        ldb = b.size(1);
    }
};

void run_smallnet(const Product& p, Operands& x) {
    smallnet::gemm(p.transpose_a, p.transpose_b, p.m, p.n, p.k, 1.0f, x.a.data(), x.lda, x.b.data(), x.ldb, 0.0f,
                   x.c.data(), p.n);
}

void run_smallnet_bf16(const Product& p, Operands& x) {
    smallnet::gemm(p.transpose_a, p.transpose_b, p.m, p.n, p.k, 1.0f, x.a.data(), x.lda, x.b.data(), x.ldb, 0.0f,
                   x.c.data(), p.n, {}, smallnet::Precision::bf16);
}

#ifdef SMALLNET_HAVE_OPENBLAS
void run_openblas(const Product& p, Operands& x) {
    cblas_sgemm(CblasRowMajor, p.transpose_a ? CblasTrans : CblasNoTrans, p.transpose_b ? CblasTrans : CblasNoTrans,
                static_cast<int>(p.m), static_cast<int>(p.n), static_cast<int>(p.k), 1.0f, x.a.data(),
                static_cast<int>(x.lda), x.b.data(), static_cast<int>(x.ldb), 0.0f, x.c.data(), static_cast<int>(p.n));
}
#endif

using Runner = void (*)(const Product&, Operands&);
using ThreadSetter = void (*)(int);

void set_smallnet_threads(int count) { smallnet::set_num_threads(count); }
#ifdef SMALLNET_HAVE_OPENBLAS
void set_openblas_threads(int count) { openblas_set_num_threads(count); }
#endif

void benchmark_product(benchmark::State& state, Product product, Runner run, ThreadSetter set_threads,
                       bool count_bytes) {
    set_threads(static_cast<int>(state.range(0)));
    Operands operands(product);
    for (auto _ : state) {
        run(product, operands);
        benchmark::DoNotOptimize(operands.c.data());
        benchmark::ClobberMemory();
    }
    state.counters["FLOPS"] = benchmark::Counter(product.flops(), benchmark::Counter::kIsIterationInvariantRate);
    if (count_bytes)
        state.counters["weight_bytes"] =
            benchmark::Counter(weight_bytes(product), benchmark::Counter::kIsIterationInvariantRate);
}

void benchmark_training_step(benchmark::State& state, std::int64_t batch, Runner run, ThreadSetter set_threads) {
    set_threads(static_cast<int>(state.range(0)));
    const std::vector<Product> products = training_step_products(batch, "");
    std::vector<Operands> operands;
    double flops = 0.0, bytes = 0.0;
    for (const Product& p : products) {
        operands.emplace_back(p);
        flops += p.flops();
        bytes += weight_bytes(p);
    }
    for (auto _ : state) {
        for (std::size_t i = 0; i < operands.size(); ++i) run(products[i], operands[i]);
        benchmark::ClobberMemory();
    }
    state.counters["FLOPS"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
    if (batch == 1) state.counters["weight_bytes"] = benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate);
}

// The step's products as fit computes them: the batch of 256 as two row blocks of 128 at once
// (run_both, one block per thread on 2 threads, one after the other on 1), each block's products in
// turn, both blocks reading the same weights; a block's products still split between threads, so a
// thread that finishes first takes parts of the other's.
void benchmark_training_step_row_blocks(benchmark::State& state, Runner run) {
    smallnet::set_num_threads(static_cast<int>(state.range(0)));
    const std::vector<Product> products = training_step_products(128, "");
    std::vector<Operands> first, second;
    double flops = 0.0;
    for (const Product& p : products) {
        first.emplace_back(p);
        second.emplace_back(p);
        if (!p.transpose_a) second.back().b = first.back().b;  // x · W and dY · Wᵀ: B is the layer's weights
        flops += 2.0 * p.flops();
    }
    auto run_first = [&] {
        for (std::size_t i = 0; i < products.size(); ++i) run(products[i], first[i]);
    };
    auto run_second = [&] {
        for (std::size_t i = 0; i < products.size(); ++i) run(products[i], second[i]);
    };
    for (auto _ : state) {
        smallnet::run_both(run_first, run_second);
        benchmark::ClobberMemory();
    }
    state.counters["FLOPS"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
}

// The batch-256 products and their step on 1 and 2 threads, and with `batch1` the batch-1 ones; with
// `row_blocks` the step as fit runs it, in two row blocks (smallnet only: it needs run_both).
void register_family(const std::string& prefix, Runner run, ThreadSetter set_threads, bool batch1 = true,
                     bool row_blocks = true) {
    benchmark::RegisterBenchmark((prefix + "training_step_gemms").c_str(), benchmark_training_step, 256, run,
                                 set_threads)
        ->Arg(1)
        ->Arg(2)
        ->UseRealTime();
    if (row_blocks)
        benchmark::RegisterBenchmark((prefix + "training_step_gemms_row_blocks").c_str(),
                                     benchmark_training_step_row_blocks, run)
            ->Arg(1)
            ->Arg(2)
            ->UseRealTime();
    std::vector<Product> products = training_step_products(256, "");
    products.push_back(square_product);
    for (const Product& p : products)
        benchmark::RegisterBenchmark((prefix + p.name).c_str(), benchmark_product, p, run, set_threads, false)
            ->Arg(1)
            ->Arg(2)
            ->UseRealTime();
    if (!batch1) return;

    benchmark::RegisterBenchmark((prefix + "batch1_training_step_gemms").c_str(), benchmark_training_step, 1, run,
                                 set_threads)
        ->Arg(1)
        ->UseRealTime();
    for (const Product& p : training_step_products(1, "batch1_"))
        benchmark::RegisterBenchmark((prefix + p.name).c_str(), benchmark_product, p, run, set_threads, true)
            ->Arg(1)
            ->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
    register_family("BM_", run_smallnet, set_smallnet_threads);
    if (smallnet::bf16_instruction_set() != smallnet::Bf16InstructionSet::none)
        register_family("BM_bf16_", run_smallnet_bf16, set_smallnet_threads);
#ifdef SMALLNET_HAVE_OPENBLAS
    register_family("BM_openblas_", run_openblas, set_openblas_threads, true, false);
#endif
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::AddCustomContext("instruction_set",
                                std::string(smallnet::instruction_set_name(smallnet::active_instruction_set())));
    benchmark::AddCustomContext("bf16_instruction_set",
                                std::string(smallnet::instruction_set_name(smallnet::bf16_instruction_set())));
    benchmark::AddCustomContext("default_threads", std::to_string(smallnet::num_threads()));
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
