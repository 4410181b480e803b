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

namespace detail {
void run_both(void (*first)(void*), void* first_context, void (*second)(void*), void* second_context);
}  // namespace detail

// Runs first() and second() at the same time on the worker threads (one after the other on one
// thread, first first) and returns when both have run; an exception from either is rethrown. Each runs
// isolated: a thread waiting inside one (for its parallel kernels) never picks up the other, so what
// one keeps per thread (a GradientRedirect, backward's lists) stays its own. Takes the callables by
// reference and allocates nothing, for use once per training step.
template <class First, class Second>
void run_both(First& first, Second& second) {
    detail::run_both([](void* f) { (*static_cast<First*>(f))(); }, &first, [](void* f) { (*static_cast<Second*>(f))(); },
                     &second);
}

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
