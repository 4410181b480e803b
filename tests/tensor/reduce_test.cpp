// Reductions (whole tensor and per axis), all_finite and transpose, on every instruction set.

#include <cmath>
#include <limits>
#include <vector>

#include "tensor/elementwise.hpp"
#include "tensor/elementwise_reference.hpp"
#include "tests/tensor/elementwise_test_support.hpp"

using namespace smallnet;

namespace {

double exact_sum(const Tensor& x) {
    double total = 0.0;
    for (float v : x.values()) total += static_cast<double>(v);
    return total;
}

double absolute_sum(const Tensor& x) {
    double total = 0.0;
    for (float v : x.values()) total += std::fabs(static_cast<double>(v));
    return total;
}

}  // namespace

TEST_SUITE("tensor.reduce") {

TEST_CASE("sum, mean and max of a whole tensor on every size and instruction set") {
    testing::for_each_instruction_set([&](InstructionSet) {
        for (std::int64_t n : testing::sizes_with_parallel()) {
            CAPTURE(n);
            // Quantised: the blocked sum must be exact.
            const Tensor q = testing::quantised_tensor({n}, 20 + static_cast<std::uint64_t>(n));
            CHECK(sum(q).item() == static_cast<float>(exact_sum(q)));
            // Continuous: a float-lane block loses at most a few ulps of the absolute sum.
            const Tensor x = testing::random_tensor({n}, 30 + static_cast<std::uint64_t>(n));
            CHECK(std::fabs(sum(x).item() - exact_sum(x)) <= 1e-6 * absolute_sum(x) + 1e-6 * std::fabs(exact_sum(x)));
            if (n == 0) {
                CHECK(std::isnan(mean(x).item()));
                CHECK_THROWS_AS(max(x), std::invalid_argument);
                continue;
            }
            CHECK(mean(q).item() == doctest::Approx(exact_sum(q) / static_cast<double>(n)).epsilon(1e-7));
            double largest = -std::numeric_limits<double>::infinity();
            for (float v : x.values()) largest = std::max(largest, static_cast<double>(v));
            CHECK(max(x).item() == static_cast<float>(largest));
            CHECK(sum(x).rank() == 0);
        }
    });
}

TEST_CASE("reductions over each axis of a rank-3 tensor") {
    testing::for_each_instruction_set([&](InstructionSet) {
        for (const Shape& shape : {Shape{7, 130, 33}, Shape{3, 5, 4}, Shape{2, 1000, 1}, Shape{70, 2, 300}}) {
            CAPTURE(shape.to_string());
            const Tensor q = testing::quantised_tensor(shape, 40);
            const Tensor x = testing::random_tensor(shape, 41);
            for (int axis : {0, 1, 2, -1}) {
                CAPTURE(axis);
                const int a = shape.normalize_axis(axis);
                Shape kept = shape;
                kept[a] = 1;
                const Tensor s = sum(q, axis, true);
                CHECK(s.shape() == kept);
                CHECK_CLOSE(testing::compare(s, reference::sum(q, axis), 0.0, 0.0));
                const Tensor s_flat = sum(q, axis);
                CHECK(s_flat.rank() == 2);
                CHECK(s_flat.numel() == kept.numel());
                CHECK_CLOSE(testing::compare(sum(x, axis), reference::sum(x, axis), 1e-5, 1e-6));
                CHECK_CLOSE(testing::compare(mean(x, axis), reference::mean(x, axis), 1e-6, 1e-6));
                CHECK_CLOSE(testing::compare(max(x, axis, true), reference::max(x, axis), 0.0, 0.0));
                Tensor into = full(kept, 5.0f);
                sum(q, axis, into);
                CHECK(testing::bitwise_equal(into, s));
            }
        }
    });
}

TEST_CASE("axis edge cases: an empty axis and a NaN") {
    const Tensor empty = zeros({3, 0});
    CHECK(testing::bitwise_equal(sum(empty, 1), zeros({3})));
    CHECK(std::isnan(mean(empty, 1).at({0})));
    CHECK_THROWS_AS(max(empty, 1), std::invalid_argument);
    Tensor x = testing::random_tensor({4, 50}, 42);
    x.at({2, 17}) = std::numeric_limits<float>::quiet_NaN();
    CHECK(std::isnan(max(x).item()));
    CHECK(std::isnan(max(x, 0).at({17})));
    CHECK(std::isnan(max(x, 1).at({2})));
    CHECK(!std::isnan(max(x, 1).at({1})));
    CHECK_THROWS_AS(sum(x, 2), std::out_of_range);
}

TEST_CASE("all_finite finds NaN and infinity anywhere") {
    testing::for_each_instruction_set([&](InstructionSet) {
        for (std::int64_t n : {1, 17, 4099, 300'001}) {
            Tensor x = testing::random_tensor({n}, 43);
            CHECK(all_finite(x));
            for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                              -std::numeric_limits<float>::infinity()}) {
                for (std::int64_t at : {std::int64_t{0}, n / 2, n - 1}) {
                    const float saved = x.data()[at];
                    x.data()[at] = bad;
                    CHECK(!all_finite(x));
                    x.data()[at] = saved;
                }
            }
        }
        CHECK(all_finite(zeros({0})));
        CHECK(all_finite(full({3}, std::numeric_limits<float>::max())));
    });
}

TEST_CASE("transpose, cache-blocked, matches the reference") {
    for (const Shape& shape : {Shape{1, 1}, Shape{3, 5}, Shape{33, 65}, Shape{1000, 777}, Shape{0, 4}}) {
        CAPTURE(shape.to_string());
        const Tensor x = testing::random_tensor(shape, 44);
        const Tensor t = transpose(x);
        CHECK(t.shape() == Shape{shape[1], shape[0]});
        CHECK_CLOSE(testing::compare(t, reference::transpose(x), 0.0, 0.0));
    }
    Tensor wrong = zeros({3, 3});
    CHECK_THROWS_WITH_AS(transpose(zeros({2, 3}), wrong),
                         "transpose: shape [2, 3] and shape [3, 3]: the output is not the input's shape reversed",
                         std::invalid_argument);
}

TEST_CASE("sums are bitwise the same on 1, 2 and 3 threads") {
    const Tensor x = testing::random_tensor({5'000'011}, 45);
    testing::check_same_for_thread_counts([&] { return sum(x); });
    const Tensor m = testing::random_tensor({3000, 1001}, 46);
    testing::check_same_for_thread_counts([&] { return sum(m, 0); });
    testing::check_same_for_thread_counts([&] { return mean(m, 1); });
}

}  // TEST_SUITE
