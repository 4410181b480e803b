#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "tests/support.hpp"
#include "tensor/parallel.hpp"
#include "tensor/threads.hpp"

using namespace smallnet;

TEST_SUITE("tensor.threads") {

TEST_CASE("set_num_threads sets, 0 restores the default, and bad counts are refused") {
    const int saved = num_threads();
    set_num_threads(1);
    CHECK(num_threads() == 1);
    set_num_threads(3);  // more workers than this machine's cores is allowed
    CHECK(num_threads() == 3);
    set_num_threads(0);
    CHECK(num_threads() == static_cast<int>(std::thread::hardware_concurrency()));
    CHECK_THROWS_AS(set_num_threads(-1), std::invalid_argument);
    set_num_threads(saved);
}

TEST_CASE("parallel_for covers every index once, with any thread count") {
    for (int threads : {1, 2, 3}) {
        testing::with_threads(threads, [&] {
            std::vector<std::atomic<int>> seen(100003);
            detail::parallel_for(0, 100003, 1000, [&](std::int64_t begin, std::int64_t end) {
                for (std::int64_t i = begin; i < end; ++i) seen[i].fetch_add(1);
            });
            int wrong = 0;
            for (auto& s : seen) wrong += s.load() != 1;
            CHECK(wrong == 0);
        });
    }
}

TEST_CASE("a range of one grain runs on the calling thread") {
    testing::with_threads(2, [&] {
        std::thread::id id;
        detail::parallel_for(0, 10, 100, [&](std::int64_t, std::int64_t) { id = std::this_thread::get_id(); });
        CHECK(id == std::this_thread::get_id());
    });
}

TEST_CASE("BackgroundTask runs its work while the caller goes on, and wait() gives back its exception") {
    for (int threads : {1, 2, 3}) {
        CAPTURE(threads);
        testing::with_threads(threads, [&] {
            BackgroundTask task;
            std::vector<int> filled(100000, 0);
            task.start([&] {
                for (std::size_t i = 0; i < filled.size(); ++i) filled[i] = static_cast<int>(i % 7);
            });
            // Parallel kernels may run meanwhile.
            std::vector<std::atomic<int>> seen(50000);
            detail::parallel_for(0, 50000, 1000, [&](std::int64_t begin, std::int64_t end) {
                for (std::int64_t i = begin; i < end; ++i) seen[i].fetch_add(1);
            });
            task.wait();
            CHECK(filled[99999] == 99999 % 7);
            CHECK(std::all_of(seen.begin(), seen.end(), [](const std::atomic<int>& s) { return s.load() == 1; }));
            task.wait();  // nothing running: returns at once

            task.start([] { throw std::runtime_error("gather failed"); });
            CHECK_THROWS_WITH_AS(task.wait(), "gather failed", std::runtime_error);
            task.wait();  // the exception is given once
            // start() waits for the previous task; the destructor waits for the last.
            int runs = 0;
            {
                BackgroundTask scoped;
                scoped.start([&] { ++runs; });
                scoped.start([&] { ++runs; });
            }
            CHECK(runs == 2);
        });
    }
}

}  // TEST_SUITE
