// Unary functions and their gradients against the double reference, on every instruction set.

#include <cmath>
#include <limits>
#include <vector>

#include "tensor/activation.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/elementwise_reference.hpp"
#include "tests/tensor/elementwise_test_support.hpp"

using namespace smallnet;

namespace {

struct UnaryCase {
    UnaryOp op;
    const char* name;
    float low, high;  // input range: log and sqrt need positive inputs
    bool exact;       // one correctly rounded operation: must match the rounded reference exactly
};

const UnaryCase unary_cases[] = {
    {UnaryOp::relu, "relu", -4, 4, true},          {UnaryOp::leaky_relu, "leaky_relu", -4, 4, true},
    {UnaryOp::sigmoid, "sigmoid", -12, 12, false}, {UnaryOp::tanh, "tanh", -6, 6, false},
    {UnaryOp::softplus, "softplus", -12, 12, false}, {UnaryOp::exp, "exp", -8, 8, false},
    {UnaryOp::log, "log", 0.01f, 50, false},        {UnaryOp::neg, "neg", -4, 4, true},
    {UnaryOp::abs, "abs", -4, 4, true},             {UnaryOp::sqrt, "sqrt", 0.0f, 50, true},
    {UnaryOp::square, "square", -4, 4, true},
};

constexpr float slope = 0.3f;
// Transcendental functions: xsimd's are within a few float ulps of the exact value.
constexpr double transcendental_atol = 1e-6, transcendental_rtol = 1e-5;

}  // namespace

TEST_SUITE("tensor.elementwise") {

TEST_CASE("unary forward matches the reference on every size and instruction set") {
    testing::for_each_instruction_set([&](InstructionSet) {
        for (const UnaryCase& c : unary_cases) {
            CAPTURE(c.name);
            for (std::int64_t n : testing::sizes_with_parallel()) {
                CAPTURE(n);
                const Tensor x = testing::random_tensor({n}, 100 + static_cast<std::uint64_t>(n), c.low, c.high);
                const Tensor y = unary(c.op, x, slope);
                std::vector<double> expected = testing::map_reference(
                    x, [&](double v) { return reference::unary(c.op, v, static_cast<double>(slope)); });
                if (c.exact)
                    CHECK_CLOSE(testing::compare(y, testing::rounded_to_float(expected), 0.0, 0.0));
                else
                    CHECK_CLOSE(testing::compare(y, expected, transcendental_atol, transcendental_rtol));
            }
        }
    });
}

TEST_CASE("unary backward matches dy * f'(x), written and accumulated") {
    testing::for_each_instruction_set([&](InstructionSet) {
        for (const UnaryCase& c : unary_cases) {
            CAPTURE(c.name);
            for (std::int64_t n : testing::sizes_with_parallel()) {
                CAPTURE(n);
                const float low = c.op == UnaryOp::sqrt ? 0.01f : c.low;
                const Tensor x = testing::random_tensor({n}, 200 + static_cast<std::uint64_t>(n), low, c.high);
                const Tensor y = unary(c.op, x, slope);
                const Tensor dy = testing::random_tensor({n}, 300 + static_cast<std::uint64_t>(n));
                const Tensor old = testing::random_tensor({n}, 400 + static_cast<std::uint64_t>(n));
                std::vector<double> expected(static_cast<std::size_t>(n)), accumulated(static_cast<std::size_t>(n));
                for (std::int64_t i = 0; i < n; ++i) {
                    const double g = static_cast<double>(dy.data()[i]) *
                                     reference::unary_derivative(c.op, x.data()[i], static_cast<double>(slope));
                    expected[static_cast<std::size_t>(i)] = g;
                    accumulated[static_cast<std::size_t>(i)] = static_cast<double>(old.data()[i]) + g;
                }
                Tensor dx(x.shape());
                unary_backward(c.op, x, y, dy, dx, false, slope);
                CHECK_CLOSE(testing::compare(dx, expected, transcendental_atol, transcendental_rtol));
                Tensor sum = old.clone();
                unary_backward(c.op, x, y, dy, sum, true, slope);
                CHECK_CLOSE(testing::compare(sum, accumulated, transcendental_atol, transcendental_rtol));
            }
        }
    });
}

TEST_CASE("gradients at the kinks: relu'(0) = 0, leaky_relu'(0) = slope, abs'(0) = 0") {
    const Tensor x = zeros({5});
    const Tensor dy = ones({5});
    Tensor dx(x.shape());
    unary_backward(UnaryOp::relu, x, relu(x), dy, dx, false);
    CHECK(dx.at({4}) == 0.0f);
    unary_backward(UnaryOp::leaky_relu, x, leaky_relu(x, 0.1f), dy, dx, false, 0.1f);
    CHECK(dx.at({4}) == 0.1f);
    unary_backward(UnaryOp::abs, x, abs(x), dy, dx, false);
    CHECK(dx.at({4}) == 0.0f);
}

TEST_CASE("a value does not depend on its position: tails compute like full vectors") {
    // The same inputs shifted by one element land in other lanes and in the tail; an unaligned view too.
    testing::for_each_instruction_set([&](InstructionSet) {
        for (const UnaryCase& c : unary_cases) {
            CAPTURE(c.name);
            const std::int64_t n = 4099;
            const Tensor x = testing::random_tensor({n}, 7, c.low, c.high);
            const Tensor shifted = x.rows(1, n);
            const Tensor y = unary(c.op, x, slope);
            const Tensor y_shifted = unary(c.op, shifted, slope);
            CHECK(testing::bitwise_equal(y.rows(1, n).clone(), y_shifted));
        }
    });
}

TEST_CASE("sigmoid, tanh and softplus stay finite and exact in the limits for |x| up to 1e4") {
    testing::for_each_instruction_set([&](InstructionSet) {
        const Tensor x = from_buffer(std::vector<float>{-1e4f, -100.0f, -88.0f, 0.0f, 88.0f, 100.0f, 1e4f}, {7});
        const Tensor s = sigmoid(x), t = tanh(x), p = softplus(x);
        CHECK(all_finite(s));
        CHECK(all_finite(t));
        CHECK(all_finite(p));
        CHECK(s.at({0}) == 0.0f);
        CHECK(s.at({3}) == 0.5f);
        CHECK(s.at({6}) == 1.0f);
        CHECK(t.at({0}) == -1.0f);
        CHECK(t.at({6}) == 1.0f);
        CHECK(p.at({0}) == 0.0f);
        CHECK(p.at({6}) == 1e4f);
        CHECK(p.at({3}) == doctest::Approx(std::log(2.0)));
        const Tensor dy = ones({7});
        Tensor dx(x.shape());
        unary_backward(UnaryOp::softplus, x, p, dy, dx, false);
        CHECK(all_finite(dx));
    });
}

TEST_CASE("relu passes NaN on") {
    const Tensor x = from_buffer(std::vector<float>{std::numeric_limits<float>::quiet_NaN(), -1.0f}, {2});
    const Tensor y = relu(x);
    CHECK(std::isnan(y.at({0})));
    CHECK(y.at({1}) == 0.0f);
}

TEST_CASE("activate applies the activation's function; linear copies") {
    const Tensor x = testing::random_tensor({3, 5}, 11);
    Tensor out(x.shape());
    activate(Activation::linear, x, out);
    CHECK(testing::bitwise_equal(out, x));
    activate(Activation::relu, x, out);
    CHECK(testing::bitwise_equal(out, relu(x)));
    activate(Activation::leaky_relu, x, out, 0.2f);
    CHECK(testing::bitwise_equal(out, leaky_relu(x, 0.2f)));
    activate(Activation::sigmoid, x, out);
    CHECK(testing::bitwise_equal(out, sigmoid(x)));
    activate(Activation::tanh, x, out);
    CHECK(testing::bitwise_equal(out, tanh(x)));
    activate(Activation::softplus, x, out);
    CHECK(testing::bitwise_equal(out, softplus(x)));
}

TEST_CASE("in place: out may be the input") {
    Tensor x = testing::random_tensor({1000}, 12);
    const Tensor expected = sigmoid(x);
    unary(UnaryOp::sigmoid, x, x);
    CHECK(testing::bitwise_equal(x, expected));
}

TEST_CASE("a unary op is bitwise the same on 1, 2 and 3 threads") {
    const Tensor x = testing::random_tensor({3'000'017}, 13, -8.0f, 8.0f);
    testing::check_same_for_thread_counts([&] { return sigmoid(x); });
    testing::check_same_for_thread_counts([&] { return relu(x); });
}

TEST_CASE("shape errors name the op and both shapes") {
    const Tensor x = zeros({2, 3});
    Tensor out = zeros({3, 2});
    CHECK_THROWS_WITH_AS(unary(UnaryOp::relu, x, out), "relu: shape [2, 3] and shape [3, 2]: input and output shapes differ",
                         std::invalid_argument);
    Tensor dx = zeros({2, 3});
    CHECK_THROWS_WITH_AS(unary_backward(UnaryOp::tanh, Tensor(), zeros({4}), zeros({2, 3}), dx, false),
                         "tanh: shape [4] and shape [2, 3]: forward output and its gradient shapes differ",
                         std::invalid_argument);
}

}  // TEST_SUITE
