#include "tensor/threads.hpp"

#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <exception>
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_invoke.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include "tensor/parallel.hpp"

namespace smallnet {

namespace {

struct WorkerPool {
    std::atomic<int> count{0};  // read lock-free on every kernel call
    std::unique_ptr<tbb::global_control> limit;  // caps TBB's workers process-wide
    std::unique_ptr<tbb::task_arena> arena;      // where the kernels run, sized to `count`
    // `arena`, read lock-free on every parallel kernel call: two threads running fit's row blocks
    // call kernels all the time, and a lock there was a contended one.
    std::atomic<tbb::task_arena*> current_arena{nullptr};
};

int default_thread_count() { return tbb::info::default_concurrency(); }

int count_from_environment() {
    const char* text = std::getenv("SMALLNET_NUM_THREADS");
    if (!text || !*text) return default_thread_count();
    char* end = nullptr;
    const long value = std::strtol(text, &end, 10);
    if (*end != '\0' || value < 1 || value > 1024)
        throw std::runtime_error("SMALLNET_NUM_THREADS='" + std::string(text) +
                                 "': expected a whole number of threads from 1 to 1024");
    return static_cast<int>(value);
}

std::mutex pool_mutex;

WorkerPool& pool() {
    static WorkerPool instance;
    return instance;
}

void configure(WorkerPool& p, int count) {
    p.current_arena.store(nullptr, std::memory_order_release);
    p.arena.reset();
    p.limit.reset();
    p.limit = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                    static_cast<std::size_t>(count));
    p.arena = std::make_unique<tbb::task_arena>(count);
    p.current_arena.store(p.arena.get(), std::memory_order_release);
    p.count.store(count, std::memory_order_release);
}

// Call with pool_mutex held.
WorkerPool& configured_pool() {
    WorkerPool& p = pool();
    if (p.count.load(std::memory_order_acquire) == 0) configure(p, count_from_environment());
    return p;
}

}  // namespace

void set_num_threads(int count) {
    if (count < 0 || count > 1024)
        throw std::invalid_argument("set_num_threads: " + std::to_string(count) +
                                    " is not a thread count from 1 to 1024 (0 for the default)");
    std::lock_guard lock(pool_mutex);
    configure(pool(), count == 0 ? default_thread_count() : count);
}

int num_threads() {
    const int count = pool().count.load(std::memory_order_acquire);
    if (count != 0) return count;
    std::lock_guard lock(pool_mutex);
    return configured_pool().count.load(std::memory_order_acquire);
}

namespace detail {
tbb::task_arena& worker_arena() {
    if (tbb::task_arena* arena = pool().current_arena.load(std::memory_order_acquire)) return *arena;
    std::lock_guard lock(pool_mutex);
    return *configured_pool().arena;
}

void run_both(void (*first)(void*), void* first_context, void (*second)(void*), void* second_context) {
    if (num_threads() == 1) {
        first(first_context);
        second(second_context);
        return;
    }
    worker_arena().execute([&] {
        tbb::parallel_invoke([&] { tbb::this_task_arena::isolate([&] { first(first_context); }); },
                             [&] { tbb::this_task_arena::isolate([&] { second(second_context); }); });
    });
}
}  // namespace detail

struct BackgroundTask::State {
    tbb::task_group group;
    tbb::task_arena* arena = nullptr;  // where the task was started; null when none is running
    std::exception_ptr error;          // what the last task threw, when it ran at once
};

BackgroundTask::BackgroundTask() : state_(std::make_unique<State>()) {}

BackgroundTask::~BackgroundTask() {
    try {
        wait();
    } catch (...) {  // a destructor cannot report it; wait() is where callers see it
    }
}

void BackgroundTask::start(std::function<void()> work) {
    wait();
    if (num_threads() == 1) {
        try {
            work();
        } catch (...) {
            state_->error = std::current_exception();
        }
        return;
    }
    state_->arena = &detail::worker_arena();
    state_->arena->execute([&] { state_->group.run(std::move(work)); });
}

void BackgroundTask::wait() {
    if (state_->arena) {
        tbb::task_arena* arena = state_->arena;
        state_->arena = nullptr;
        arena->execute([&] { state_->group.wait(); });  // rethrows the task's exception
    }
    if (state_->error) std::rethrow_exception(std::exchange(state_->error, nullptr));
}

}  // namespace smallnet
