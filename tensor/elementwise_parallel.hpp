#pragma once
// How the element-wise family shares work between threads (internal header): only above a measured
// amount of work, in pieces of whole vectors, and with sums cut into chunks whose size never depends
// on the thread count, so every result is the same on 1 or 16 threads.

#include <algorithm>
#include <cstdint>
#include <vector>

#include "tensor/parallel.hpp"

namespace smallnet::detail {

// Work (elements times the op's relative cost) below which a kernel runs on the calling thread.
// Measured on this 2-core EPYC (bench/elementwise_bench.cpp, BM_threshold_*): handing a loop to TBB
// costs 4-10 us, and relu (cost 1) ran 2x48K floats faster on one thread than on two, breaking even
// around 96K floats in cache (~12 us of work); sigmoid (cost 8) breaks even near 12K floats.
inline constexpr std::int64_t parallel_work_threshold = std::int64_t{1} << 17;

// Relative per-element costs, from the same measurement: one memory-bound pass = 1.
inline constexpr std::int64_t cost_memory_bound = 1;
inline constexpr std::int64_t cost_transcendental = 8;

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
