// How long adding one step's gradients across MPI processes takes: Open MPI's own MPI_Allreduce
// beside fit's fixed-tree sum (nn/block_gradient_sum.hpp), with one and with two row blocks per
// process, on gradients of the sizes given (floats; default: the seed's model, 210k = 840 KB, and the
// Keras blog's conv autoencoder, 4385 = 17.5 KB). Run under mpirun; process 0 prints the medians.
//
//   mpirun -np 2 build/bench/gradient_sum_bench [repetitions] [sizes...]
//
// A plain program, not Google Benchmark: every process must run the same number of repetitions, or
// one would wait forever for the others in its last exchange.
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "nn/block_gradient_sum.hpp"
#include "nn/distributed.hpp"
#include "tensor/creation.hpp"

using namespace smallnet;

namespace {

template <class Body>
double median_microseconds(int repetitions, Body&& body) {
    std::vector<double> times;
    for (int r = 0; r < repetitions; ++r) {
        MPI_Barrier(MPI_COMM_WORLD);
        const auto start = std::chrono::steady_clock::now();
        body();
        times.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
    }
    // The slowest process's time is the step's: take each repetition's largest.
    MPI_Allreduce(MPI_IN_PLACE, times.data(), repetitions, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    Processes processes;
    const int count = process_count(), rank = process_rank();
    if (count < 2) {
        std::fprintf(stderr, "gradient_sum_bench: run it under mpirun with 2 processes or more\n");
        return 2;
    }
    const int repetitions = argc > 1 ? std::stoi(argv[1]) : 200;
    std::vector<std::int64_t> sizes;
    for (int i = 2; i < argc; ++i) sizes.push_back(std::stoll(argv[i]));
    if (sizes.empty()) sizes = {210'000, 4'385};
    if (rank == 0)
        std::printf("%d processes, median of %d repetitions (the slowest process's time of each)\n", count, repetitions);
    for (const std::int64_t size : sizes) {
        Generator generator(static_cast<std::uint64_t>(rank) + 1);
        std::vector<Tensor> buffers;
        for (int b = 0; b < 2; ++b) buffers.push_back(uniform(Shape{size}, -1.0f, 1.0f, generator));
        std::vector<float> plain(static_cast<std::size_t>(size));
        const double allreduce = median_microseconds(repetitions, [&] {
            MPI_Allreduce(buffers[0].data(), plain.data(), static_cast<int>(size), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        });
        BlockGradientSum one_block(count, count, rank);
        const double tree_one = median_microseconds(repetitions, [&] { one_block.sum_everywhere(std::span<Tensor>(buffers.data(), 1)); });
        BlockGradientSum two_blocks(2 * count, count, rank);
        const double tree_two = median_microseconds(repetitions, [&] { two_blocks.sum_everywhere(buffers); });
        if (rank == 0)
            std::printf("%8lld floats (%6.0f KB): MPI_Allreduce %7.1f us, fixed tree 1 block per process %7.1f us (%.2fx), "
                        "2 blocks %7.1f us (%.2fx)\n",
                        static_cast<long long>(size), static_cast<double>(size) * 4 / 1000, allreduce, tree_one,
                        tree_one / allreduce, tree_two, tree_two / allreduce);
    }
    return 0;
}
