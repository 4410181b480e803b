#include <atomic>
#include <thread>

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

}  // TEST_SUITE
