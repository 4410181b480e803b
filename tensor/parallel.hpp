#pragma once
// parallel_for: runs a loop over [begin, end) on the workers set by set_num_threads (internal header).

#include <cstdint>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "tensor/threads.hpp"

namespace smallnet::detail {

// The arena every parallel kernel runs in; its size is num_threads().
tbb::task_arena& worker_arena();

// Calls body(chunk_begin, chunk_end) over pieces of [begin, end) no smaller than `grain`.
// Runs serially, without touching TBB, when one thread is set or the range is a single grain, so
// small tensors pay nothing for threads.
template <class Body>
void parallel_for(std::int64_t begin, std::int64_t end, std::int64_t grain, Body&& body) {
    if (end <= begin) return;
    if (grain < 1) grain = 1;
    if (end - begin <= grain || num_threads() == 1) {
        body(begin, end);
        return;
    }
    worker_arena().execute([&] {
        tbb::parallel_for(tbb::blocked_range<std::int64_t>(begin, end, grain),
                          [&](const tbb::blocked_range<std::int64_t>& range) { body(range.begin(), range.end()); });
    });
}

}  // namespace smallnet::detail
