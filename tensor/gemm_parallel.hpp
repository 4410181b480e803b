#pragma once
// How the GEMMs (tensor/matmul.cpp in fp32, tensor/matmul_bf16.cpp in bf16) share their work between
// threads: which products are worth a second thread, and into how many parts C is cut (internal header).
// The parts are rectangles of whole register tiles over all of k, so no sum is ever split.

#include <algorithm>
#include <cstdint>
#include <utility>

namespace smallnet::detail {

// Products below this many flops (2 m n k), about 20 us of one core, run on one thread. Measured on the
// 2-core Zen 5 (avx512, fp32): waking the second TBB worker costs 5-10 us, so a 256x128x32 product (2.1
// MFLOP, 11 us alone) took 12-16 us on two threads and 256x128x48 (3.1 MFLOP) gained nothing, while
// 256x32x256 and 256x128x64 (4.2 MFLOP) dropped from 20 to 13-16 us.
constexpr double parallel_threshold_flops = 4.0e6;

inline double flops_of(std::int64_t m, std::int64_t n, std::int64_t k) {
    return 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
}

// How many parts C is cut into: more than threads (up to 2 per thread, each worth at least ~2 MFLOP),
// so a thread that another process slows down on these shared machines hands the rest of its work to
// the other. Measured on 2 threads (fp32): one part per thread sometimes ran at one-thread speed (the
// second worker came too late), 4 per thread lost 5-15% to smaller blocks; 2 per thread was best.
inline std::int64_t parts_for(int threads, double flops) {
    constexpr double min_flops_per_part = 2.0e6;
    constexpr std::int64_t max_parts_per_thread = 2;
    return std::clamp(static_cast<std::int64_t>(flops / min_flops_per_part), static_cast<std::int64_t>(threads),
                      max_parts_per_thread * threads);
}

// Part `index` of `parts` of `count` tiles of `tile` elements, as an element range clipped to `extent`.
inline std::pair<std::int64_t, std::int64_t> part_range(std::int64_t index, std::int64_t parts, std::int64_t count,
                                                        std::int64_t tile, std::int64_t extent) {
    const std::int64_t begin = index * count / parts * tile;
    const std::int64_t end = (index + 1) * count / parts * tile;
    return {std::min(begin, extent), std::min(end, extent)};
}

}  // namespace smallnet::detail
