#pragma once
// How the element-wise family shares work between threads (internal header): only above a measured
// amount of work, in pieces of whole vectors, and with sums cut into chunks whose size never depends
// on the thread count, so every result is the same on 1 or 16 threads.

#include <algorithm>
#include <cstdint>
#include <vector>

#include "tensor/parallel.hpp"

namespace smallnet::detail {

// Work (elements times the op's relative cost) below which a kernel runs on the calling thread:
// 128K float elements for a memory-bound op, 32K for a transcendental one. Measured on this 2-core
// EPYC with bench/elementwise_bench.cpp (BM_threshold_*: one call on one thread against the same
// call split in two halves on two threads, medians of 5):
//   relu     64K floats: 3.1 us on one thread, 4.2 us on two;  128K: 10.3 us against 5.1 us
//   sigmoid  16K floats: 3.7 us on one thread, 4.3 us on two;   32K:  7.3 us against 6.2 us
// Handing a call to the second thread costs a few microseconds (TBB's wake-up, plus moving the
// data's cache lines to the other core), so relu breaks even near 96K floats and sigmoid near 24K.
inline constexpr std::int64_t parallel_work_threshold = std::int64_t{1} << 17;

// Relative per-element costs: a memory-bound pass is 1; exp/log/tanh-based ops run 4-5 times longer
// per element in cache (relu 0.05 ns, sigmoid 0.22 ns per float on one AVX-512 core).
inline constexpr std::int64_t cost_memory_bound = 1;
inline constexpr std::int64_t cost_transcendental = 4;
// Adam: seven streams per element.
inline constexpr std::int64_t cost_adam = 2;

// Pieces start at multiples of this many elements: whole AVX-512 vectors and cache lines, so only
// the very last piece has a partial vector.
inline constexpr std::int64_t piece_alignment = 64;

// body(begin, end) over [0, n), in parallel when n * cost reaches the threshold.
template <class Body>
void for_each_piece(std::int64_t n, std::int64_t cost, Body&& body) {
    if (n <= 0) return;
    const std::int64_t units = (n + piece_alignment - 1) / piece_alignment;
    const std::int64_t grain_elements = std::max<std::int64_t>(parallel_work_threshold / std::max<std::int64_t>(cost, 1), 1);
    const std::int64_t grain = std::max<std::int64_t>(grain_elements / piece_alignment, 1);
    parallel_for(0, units, grain, [&](std::int64_t begin, std::int64_t end) {
        body(begin * piece_alignment, std::min(end * piece_alignment, n));
    });
}

// Chunk of a sum: fixed, so the order partial sums are added in depends only on n.
inline constexpr std::int64_t sum_chunk = std::int64_t{1} << 16;

// Sum over [0, n) of chunk_sum(begin, end) for consecutive chunks of sum_chunk elements, the chunk
// sums computed in parallel (when large) and added in order.
template <class ChunkSum>
double ordered_sum(std::int64_t n, std::int64_t cost, ChunkSum&& chunk_sum) {
    if (n <= 0) return 0.0;
    const std::int64_t chunks = (n + sum_chunk - 1) / sum_chunk;
    if (chunks == 1) return chunk_sum(std::int64_t{0}, n);
    std::vector<double> partials(static_cast<std::size_t>(chunks));
    const std::int64_t grain = std::max<std::int64_t>(parallel_work_threshold / (sum_chunk * std::max<std::int64_t>(cost, 1)), 1);
    parallel_for(0, chunks, grain, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t c = begin; c < end; ++c)
            partials[static_cast<std::size_t>(c)] = chunk_sum(c * sum_chunk, std::min((c + 1) * sum_chunk, n));
    });
    double total = 0.0;
    for (double partial : partials) total += partial;
    return total;
}

}  // namespace smallnet::detail
