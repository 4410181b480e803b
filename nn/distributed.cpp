// Processes and the collectives fit uses: Open MPI when the build has it (SMALLNET_WITH_MPI), else one
// process, for which every collective is a copy or nothing.
#include "nn/distributed.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <vector>

#include "nn/collectives.hpp"
#include "tensor/threads.hpp"

#ifdef SMALLNET_WITH_MPI
#include <mpi.h>
#endif

namespace smallnet {

namespace {

int world_rank = 0;
int world_size = 1;
bool processes_alive = false;

#ifdef SMALLNET_WITH_MPI
bool joined_mpi = false;

// Whether a launcher started this program as part of a job: Open MPI's mpirun, or a PMI/PMIx
// launcher (srun, MPICH's mpiexec). Started by hand, the program stays one process without asking
// MPI, whose start as a job of one (a "singleton") takes time and may warn.
bool started_by_launcher() {
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
        if (std::getenv(name) != nullptr) return true;
    return false;
}
#endif

}  // namespace

Processes::Processes() {
    if (processes_alive) throw std::logic_error("Processes: one is alive already (create one, at the top of main)");
    processes_alive = true;
#ifdef SMALLNET_WITH_MPI
    if (!started_by_launcher()) return;
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
        // Funneled: only the thread that made Processes calls MPI (fit's exchanges run between its
        // parallel passes); the worker threads never do.
        int provided = 0;
        MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
        joined_mpi = true;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
    // One process per core is the layout a job of several takes: a process then works on one thread
    // unless the program says otherwise (set_num_threads, the apps' --threads).
    if (world_size > 1) set_num_threads(1);
#endif
}

Processes::~Processes() {
#ifdef SMALLNET_WITH_MPI
    if (joined_mpi) {
        MPI_Finalize();
        joined_mpi = false;
    }
#endif
    world_rank = 0;
    world_size = 1;
    processes_alive = false;
}

int process_rank() { return world_rank; }
int process_count() { return world_size; }

bool built_with_mpi() {
#ifdef SMALLNET_WITH_MPI
    return true;
#else
    return false;
#endif
}

void end_all_processes(int exit_code) {
#ifdef SMALLNET_WITH_MPI
    if (world_size > 1) {
        std::fflush(stdout);
        std::fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, exit_code);
    }
#endif
    std::exit(exit_code);
}

namespace collectives {

void broadcast_from_first([[maybe_unused]] std::span<float> values) {
    if (world_size == 1) return;
#ifdef SMALLNET_WITH_MPI
    // MPI counts are ints: a model of more than 2^31 - 1 weights goes in pieces.
    constexpr std::size_t piece = 1u << 30;
    for (std::size_t begin = 0; begin < values.size(); begin += piece)
        MPI_Bcast(values.data() + begin, static_cast<int>(std::min(piece, values.size() - begin)), MPI_FLOAT, 0, MPI_COMM_WORLD);
#endif
}

void gather_everywhere(std::span<const double> mine, [[maybe_unused]] std::span<const int> counts, std::span<double> all) {
    if (world_size == 1) {
        std::copy(mine.begin(), mine.end(), all.begin());
        return;
    }
#ifdef SMALLNET_WITH_MPI
    // Kept: fit gathers every step and allocates nothing in steady state.
    static std::vector<int> offsets;
    offsets.assign(counts.size(), 0);
    for (std::size_t p = 1; p < counts.size(); ++p) offsets[p] = offsets[p - 1] + counts[p - 1];
    MPI_Allgatherv(mine.data(), static_cast<int>(mine.size()), MPI_DOUBLE, all.data(), counts.data(), offsets.data(),
                   MPI_DOUBLE, MPI_COMM_WORLD);
#endif
}

void gather_everywhere_in_place(std::span<float> buffer, std::span<const int> counts, std::span<const int> offsets) {
    if (world_size == 1) return;
#ifdef SMALLNET_WITH_MPI
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buffer.data(), counts.data(), offsets.data(), MPI_FLOAT,
                   MPI_COMM_WORLD);
#else
    (void)buffer, (void)counts, (void)offsets;
#endif
}

void exchange(std::span<const Transfer> sends, std::span<const Transfer> receives) {
    if (sends.empty() && receives.empty()) return;
#ifndef SMALLNET_WITH_MPI
    throw std::logic_error("collectives::exchange: messages to other processes in a build without MPI");
#else
    // A fixed capacity, kept: fit exchanges every step and allocates nothing in steady state.
    static std::vector<MPI_Request> requests;
    requests.resize(sends.size() + receives.size());
    std::size_t r = 0;
    for (const Transfer& t : receives) MPI_Irecv(t.data, t.count, MPI_FLOAT, t.process, 0, MPI_COMM_WORLD, &requests[r++]);
    for (const Transfer& t : sends) MPI_Isend(t.data, t.count, MPI_FLOAT, t.process, 0, MPI_COMM_WORLD, &requests[r++]);
    MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE);
#endif
}

bool all_reach_within(double seconds) {
    if (world_size == 1) return true;
#ifdef SMALLNET_WITH_MPI
    MPI_Request request;
    MPI_Ibarrier(MPI_COMM_WORLD, &request);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    for (;;) {
        int done = 0;
        MPI_Test(&request, &done, MPI_STATUS_IGNORE);
        if (done) return true;
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
#else
    (void)seconds;
    return true;
#endif
}

std::int64_t max_everywhere(std::int64_t value) {
#ifdef SMALLNET_WITH_MPI
    if (world_size > 1) MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
#endif
    return value;
}

std::int64_t min_everywhere(std::int64_t value) {
#ifdef SMALLNET_WITH_MPI
    if (world_size > 1) MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_INT64_T, MPI_MIN, MPI_COMM_WORLD);
#endif
    return value;
}

void check_same_everywhere(std::int64_t value, const std::string& what) {
    if (world_size == 1) return;
    const std::int64_t low = min_everywhere(value), high = max_everywhere(value);
    if (low != high)
        throw std::runtime_error("the " + std::to_string(world_size) + " processes disagree on " + what + ": process " +
                                 std::to_string(world_rank) + " has " + std::to_string(value) + ", others from " +
                                 std::to_string(low) + " to " + std::to_string(high) +
                                 " (every process must load the same data and build the same model)");
}

}  // namespace collectives

}  // namespace smallnet
