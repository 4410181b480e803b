#pragma once
// Worker-thread control for every parallel kernel, built on oneTBB's global_control.
//
// The default is one worker per core. The environment variable SMALLNET_NUM_THREADS sets the count at
// start-up; set_num_threads() changes it later. Results never depend on the count: kernels split
// their outputs between threads, never a sum.

#include <functional>
#include <memory>

namespace smallnet {

// Sets the number of worker threads; 0 restores the default (the machine's core count). Asking for
// more threads than cores is allowed (it is how the tests check determinism on a small machine).
void set_num_threads(int count);
// The number of worker threads parallel kernels use now.
int num_threads();

// BackgroundTask: one function run by the worker threads while the caller goes on, as fit gathers the
// next batch while a step computes; on one thread it runs at once, in start(). wait() returns when it
// has run and rethrows what it threw; the destructor waits too (and drops the exception). One task at a
// time: start() waits for the previous one first.
class BackgroundTask {
public:
    BackgroundTask();
    ~BackgroundTask();
    BackgroundTask(const BackgroundTask&) = delete;
    BackgroundTask& operator=(const BackgroundTask&) = delete;

    void start(std::function<void()> work);
    void wait();

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace smallnet
