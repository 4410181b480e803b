#pragma once
// The messages fit's processes exchange (nn/distributed.hpp), over MPI's world communicator. Each is
// called by every process of the job at the same point, from the thread that created Processes;
// with one process they copy or do nothing. Internal to the library: not installed.

#include <cstdint>
#include <span>
#include <string>

namespace smallnet::collectives {

// Process 0's `values` into every process's.
void broadcast_from_first(std::span<float> values);

// Every process's `mine` (counts[p] values from process p), in process order, into `all` on each;
// counts has one entry per process of the job.
void gather_everywhere(std::span<const double> mine, std::span<const int> counts, std::span<double> all);
// The same for floats already in place: process p's part of `buffer` is counts[p] values at
// offsets[p]; on return every process has every part.
void gather_everywhere_in_place(std::span<float> buffer, std::span<const int> counts, std::span<const int> offsets);

// One message: `count` floats at `data`, to or from `process`.
struct Transfer {
    float* data = nullptr;
    int count = 0;
    int process = 0;
};
// Sends every `sends` and receives every `receives` at once (MPI_Isend/Irecv, then waits for all).
// Messages between two processes are matched in the order given.
void exchange(std::span<const Transfer> sends, std::span<const Transfer> receives);

// Whether every process reaches this call within `seconds` (a barrier that gives up): how a process
// ending with an error tells a failure all of them met (a NaN loss, a stop request: they may end
// normally, each with its code) from its own (the others must be stopped).
bool all_reach_within(double seconds);

// The largest and the smallest of `value` over the processes.
std::int64_t max_everywhere(std::int64_t value);
std::int64_t min_everywhere(std::int64_t value);

// std::runtime_error naming `what` unless `value` is the same in every process: fit's processes
// must agree on the data and the model before their first exchange.
void check_same_everywhere(std::int64_t value, const std::string& what);

}  // namespace smallnet::collectives
