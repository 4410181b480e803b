// Binary operators with broadcasting, scalar forms and operators, and sum_to, against index-loop
// references, on every instruction set.

#include <limits>
#include <vector>

#include "tensor/elementwise.hpp"
#include "tensor/elementwise_reference.hpp"
#include "tests/tensor/elementwise_test_support.hpp"

using namespace smallnet;

namespace {

const BinaryOp all_binary_ops[] = {BinaryOp::add, BinaryOp::sub,     BinaryOp::mul,
                                   BinaryOp::div, BinaryOp::maximum, BinaryOp::minimum};

// Divisors kept away from 0; the first operand spans both signs.
Tensor first_operand(const Shape& shape, std::uint64_t seed) { return testing::random_tensor(shape, seed, -2.0f, 2.0f); }
Tensor second_operand(const Shape& shape, std::uint64_t seed) { return testing::random_tensor(shape, seed, 0.25f, 2.0f); }

// One correctly rounded float operation per element: exact against the rounded reference.
void check_binary(BinaryOp op, const Tensor& a, const Tensor& b) {
    const Tensor out = binary(op, a, b);
    CHECK(out.shape() == broadcast_shape(a.shape(), b.shape(), "test"));
    CHECK_CLOSE(testing::compare(out, testing::rounded_to_float(reference::binary(op, a, b)), 0.0, 0.0));
}

struct ShapePair {
    Shape a, b;
};

}  // namespace

TEST_SUITE("tensor.broadcast") {

TEST_CASE("same-shape binary ops match the reference on every size and instruction set") {
    testing::for_each_instruction_set([&](InstructionSet) {
        for (BinaryOp op : all_binary_ops) {
            CAPTURE(static_cast<int>(op));
            for (std::int64_t n : testing::sizes_with_parallel()) {
                CAPTURE(n);
                check_binary(op, first_operand({n}, 1 + static_cast<std::uint64_t>(n)),
                             second_operand({n}, 2 + static_cast<std::uint64_t>(n)));
            }
        }
    });
}

TEST_CASE("broadcast shapes match the index-loop reference") {
    const ShapePair pairs[] = {
        {{2, 3}, {3}},                 // row broadcast
        {{2, 1, 4}, {3, 1}},           // both sides grow: [2, 3, 4]
        {{4, 5}, Shape{}},             // rank-0 scalar
        {{4, 5}, {1}},                 // scalar-shaped
        {{1}, {4, 5}},                 // scalar on the left
        {{3, 1, 5}, {1, 4, 1}},        // size-1 dims on both sides
        {{2, 3, 4, 5}, {3, 1, 5}},     // rank 4
        {{2, 1, 4, 1}, {1, 3, 1, 5}},  // rank 4, alternating
        {{2, 3, 1, 2, 1, 3}, {3, 4, 1, 5, 1}},  // rank 6
        {{300, 1000}, {300, 1}},       // column broadcast, parallel rows
        {{300, 1000}, {1000}},         // row broadcast, parallel rows
        {{1000}, {300, 1000}},         // the broadcast operand on the left
        {{7, 1}, {1, 9}},              // outer product shape
        {{0, 3}, {3}},                 // empty
        {{5, 17}, {5, 17}},            // same shape, rank 2
    };
    testing::for_each_instruction_set([&](InstructionSet) {
        for (const ShapePair& p : pairs) {
            CAPTURE(p.a.to_string());
            CAPTURE(p.b.to_string());
            for (BinaryOp op : all_binary_ops) {
                CAPTURE(static_cast<int>(op));
                check_binary(op, first_operand(p.a, 3), second_operand(p.b, 4));
            }
        }
    });
}

TEST_CASE("scalar forms and operators") {
    const Tensor a = first_operand({3, 257}, 5);
    const Tensor b = second_operand({3, 257}, 6);
    const Tensor two = full({1}, 2.0f);
    CHECK(testing::bitwise_equal(a + 2.0f, add(a, two)));
    CHECK(testing::bitwise_equal(a - 2.0f, sub(a, two)));
    CHECK(testing::bitwise_equal(a * 2.0f, mul(a, two)));
    CHECK(testing::bitwise_equal(2.0f * a, mul(a, two)));
    CHECK(testing::bitwise_equal(a / 2.0f, div(a, two)));
    CHECK(testing::bitwise_equal(a + b, add(a, b)));
    CHECK(testing::bitwise_equal(a - b, sub(a, b)));
    CHECK(testing::bitwise_equal(a * b, mul(a, b)));
    CHECK(testing::bitwise_equal(a / b, div(a, b)));
    CHECK(testing::bitwise_equal(-a, neg(a)));
    CHECK(testing::bitwise_equal(binary(BinaryOp::maximum, a, 0.5f), maximum(a, full({1}, 0.5f))));
    Tensor out(a.shape());
    binary(BinaryOp::sub, a, 1.0f, out);
    CHECK_CLOSE(testing::compare(out, testing::rounded_to_float(testing::map_reference(a, [](double v) { return v - 1; })),
                                 0.0, 0.0));
}

TEST_CASE("maximum and minimum let NaN win") {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const Tensor a = from_buffer(std::vector<float>{nan, 1.0f, 2.0f}, {3});
    const Tensor b = from_buffer(std::vector<float>{1.0f, nan, 1.0f}, {3});
    const Tensor hi = maximum(a, b), lo = minimum(a, b);
    CHECK(std::isnan(hi.at({0})));
    CHECK(std::isnan(hi.at({1})));
    CHECK(hi.at({2}) == 2.0f);
    CHECK(std::isnan(lo.at({0})));
    CHECK(std::isnan(lo.at({1})));
    CHECK(lo.at({2}) == 1.0f);
}

TEST_CASE("the output may be the first operand") {
    Tensor a = first_operand({40, 33}, 7);
    const Tensor b = second_operand({33}, 8);
    const Tensor expected = a * b;
    binary(BinaryOp::mul, a, b, a);
    CHECK(testing::bitwise_equal(a, expected));
}

TEST_CASE("shape errors name the op and both shapes") {
    CHECK_THROWS_WITH_AS(broadcast_shape({2, 3}, {4}, "add"), "add: shape [2, 3] and shape [4]: cannot broadcast",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(add(zeros({2, 3}), zeros({4})), "add: shape [2, 3] and shape [4]: cannot broadcast",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(mul(zeros({2, 3, 4}), zeros({3, 5})),
                         "mul: shape [2, 3, 4] and shape [3, 5]: cannot broadcast", std::invalid_argument);
    Tensor out = zeros({3, 2});
    CHECK_THROWS_WITH_AS(binary(BinaryOp::sub, zeros({2, 3}), zeros({3}), out),
                         "sub: shape [2, 3] and shape [3]: the output has shape [3, 2], not [2, 3]",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(sum_to(zeros({2, 3}), out, false),
                         "sum_to: shape [2, 3] and shape [3, 2]: the target shape does not broadcast to the source",
                         std::invalid_argument);
}

TEST_CASE("sum_to sums a broadcast gradient back to the input's shape") {
    const ShapePair cases[] = {
        {{2, 3}, {3}},          {{2, 3}, {2, 1}},         {{2, 3}, {1, 3}},       {{2, 3}, Shape{}},
        {{2, 3}, {1}},          {{4, 3, 5}, {3, 1}},      {{2, 3, 4, 5}, {1, 3, 1, 5}},
        {{2, 3}, {2, 3}},       {{1000, 257}, {257}},     {{257, 1000}, {257, 1}}, {{3000, 300}, {1, 300}},
        {{200, 3, 7}, {3, 1}},  {{0, 4}, {4}},            {{6, 1, 4}, {1, 1, 4}},
    };
    testing::for_each_instruction_set([&](InstructionSet) {
        for (const ShapePair& c : cases) {
            CAPTURE(c.a.to_string());
            CAPTURE(c.b.to_string());
            // Quantised values sum exactly in any order: any miscount shows as an exact mismatch.
            const Tensor source = testing::quantised_tensor(c.a, 9);
            const std::vector<double> expected = reference::sum_to(source, c.b);
            Tensor out = full(c.b, 123.0f);
            sum_to(source, out, false);
            CHECK_CLOSE(testing::compare(out, expected, 0.0, 0.0));
            const Tensor old = testing::quantised_tensor(c.b, 10);
            Tensor accumulated = old.clone();
            sum_to(source, accumulated, true);
            std::vector<double> plus = expected;
            for (std::size_t i = 0; i < plus.size(); ++i) plus[i] += static_cast<double>(old.data()[i]);
            CHECK_CLOSE(testing::compare(accumulated, plus, 0.0, 0.0));
            // Continuous data: the fixed-order float/double sum is close to the exact one.
            const Tensor noisy = testing::random_tensor(c.a, 11);
            Tensor rough(c.b);
            sum_to(noisy, rough, false);
            CHECK_CLOSE(testing::compare(rough, reference::sum_to(noisy, c.b), 1e-4, 1e-5));
        }
    });
}

TEST_CASE("sum_to is bitwise the same on 1, 2 and 3 threads") {
    const Tensor source = testing::random_tensor({4000, 301}, 12);
    testing::check_same_for_thread_counts([&] {
        Tensor out({301});
        sum_to(source, out, false);
        return out;
    });
}

}  // TEST_SUITE
