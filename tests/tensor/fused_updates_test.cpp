// Fused kernels: axpy, Adam/AdamW and SGD steps (hand-computed and against the reference), the
// losses with their gradients (including extreme inputs), and convert_u8.

#include <cmath>
#include <cstdint>
#include <vector>

#include <xmmintrin.h>

#include "tensor/elementwise.hpp"
#include "tensor/elementwise_reference.hpp"
#include "tests/tensor/elementwise_test_support.hpp"

using namespace smallnet;

namespace {

const std::vector<std::vector<float>> two_parameter_gradients = {{0.5f, -1.0f}, {0.3f, 0.2f}, {-0.4f, 0.1f}};

void check_pair(const Tensor& t, double first, double second) {
    CHECK(t.at({0}) == doctest::Approx(first).epsilon(2e-7));
    CHECK(t.at({1}) == doctest::Approx(second).epsilon(2e-7));
}

const LossKind all_losses[] = {LossKind::squared_error, LossKind::absolute_error, LossKind::binary_cross_entropy,
                               LossKind::binary_cross_entropy_with_logits};

// Predictions and targets each loss is defined on: probabilities for BCE, logits and {0,1}-ish
// targets for BCE with logits.
void loss_operands(LossKind kind, std::int64_t n, std::uint64_t seed, Tensor& prediction, Tensor& target) {
    switch (kind) {
        case LossKind::binary_cross_entropy:
            prediction = testing::random_tensor({n}, seed, 0.0f, 1.0f);
            target = testing::random_tensor({n}, seed + 1, 0.0f, 1.0f);
            return;
        case LossKind::binary_cross_entropy_with_logits:
            prediction = testing::random_tensor({n}, seed, -20.0f, 20.0f);
            target = testing::random_tensor({n}, seed + 1, 0.0f, 1.0f);
            return;
        default:
            prediction = testing::random_tensor({n}, seed);
            target = testing::random_tensor({n}, seed + 1);
    }
}

}  // namespace

TEST_SUITE("tensor.fused_updates") {

TEST_CASE("Adam: three steps of a two-parameter problem, by hand") {
    // lr 0.1, betas 0.9 / 0.999, epsilon 1e-7; values worked out in double from the header's formula.
    Tensor p = from_buffer(std::vector<float>{1.0f, -2.0f}, {2});
    Tensor m = zeros({2}), v = zeros({2});
    const double expected_p[3][2] = {{0.90000002, -1.90000001}, {0.804251026, -1.84889741}, {0.779392348, -1.81582412}};
    const double expected_v[3][2] = {{0.00025, 0.001}, {0.00033975, 0.001039}, {0.00049941025, 0.001047961}};
    const double expected_m[3][2] = {{0.05, -0.1}, {0.075, -0.07}, {0.0275, -0.053}};
    for (int t = 0; t < 3; ++t) {
        CAPTURE(t);
        adam_update(p, from_buffer(two_parameter_gradients[t], {2}), m, v,
                    AdamStep{.learning_rate = 0.1f, .step = t + 1});
        check_pair(p, expected_p[t][0], expected_p[t][1]);
        check_pair(m, expected_m[t][0], expected_m[t][1]);
        check_pair(v, expected_v[t][0], expected_v[t][1]);
    }
}

TEST_CASE("AdamW: decoupled weight decay first, by hand") {
    Tensor p = from_buffer(std::vector<float>{1.0f, -2.0f}, {2});
    Tensor m = zeros({2}), v = zeros({2});
    const double expected[3][2] = {{0.89900002, -1.89800001}, {0.802352026, -1.84499941}, {0.776690996, -1.81008112}};
    for (int t = 0; t < 3; ++t) {
        adam_update(p, from_buffer(two_parameter_gradients[t], {2}), m, v,
                    AdamStep{.learning_rate = 0.1f, .weight_decay = 0.01f, .step = t + 1});
        check_pair(p, expected[t][0], expected[t][1]);
    }
}

TEST_CASE("SGD with momentum, with Nesterov, and plain with weight decay, by hand") {
    struct Case {
        SgdStep step;
        double p[3][2], velocity[3][2];
    };
    const Case cases[] = {
        {{.learning_rate = 0.1f, .momentum = 0.9f},
         {{0.95, -1.9}, {0.875, -1.83}, {0.8475, -1.777}},
         {{-0.05, 0.1}, {-0.075, 0.07}, {-0.0275, 0.053}}},
        {{.learning_rate = 0.1f, .momentum = 0.9f, .nesterov = true},
         {{0.905, -1.81}, {0.8075, -1.767}, {0.82275, -1.7293}},
         {{-0.05, 0.1}, {-0.075, 0.07}, {-0.0275, 0.053}}},
        {{.learning_rate = 0.1f, .weight_decay = 0.1f},
         {{0.94, -1.88}, {0.9006, -1.8812}, {0.931594, -1.872388}},
         {{0, 0}, {0, 0}, {0, 0}}},
    };
    for (const Case& c : cases) {
        Tensor p = from_buffer(std::vector<float>{1.0f, -2.0f}, {2});
        Tensor velocity = zeros({2});
        for (int t = 0; t < 3; ++t) {
            CAPTURE(t);
            sgd_update(p, from_buffer(two_parameter_gradients[t], {2}), velocity, c.step);
            check_pair(p, c.p[t][0], c.p[t][1]);
            check_pair(velocity, c.velocity[t][0], c.velocity[t][1]);
        }
    }
    Tensor p = ones({2}), no_velocity;
    sgd_update(p, ones({2}), no_velocity, SgdStep{.learning_rate = 0.5f});  // no momentum: no velocity needed
    CHECK(p.at({1}) == 0.5f);
}

TEST_CASE("optimizer steps match the reference on every size and instruction set") {
    testing::for_each_instruction_set([&](InstructionSet) {
        for (std::int64_t n : testing::sizes_with_parallel()) {
            CAPTURE(n);
            const std::uint64_t seed = 50 + static_cast<std::uint64_t>(n);
            const Tensor p0 = testing::random_tensor({n}, seed), g = testing::random_tensor({n}, seed + 1);
            const Tensor m0 = testing::random_tensor({n}, seed + 2, -0.1f, 0.1f);
            const Tensor v0 = testing::random_tensor({n}, seed + 3, 0.0f, 0.01f);
            const AdamStep adam{.learning_rate = 0.01f, .weight_decay = 0.004f, .step = 7};
            Tensor p = p0.clone(), m = m0.clone(), v = v0.clone();
            adam_update(p, g, m, v, adam);
            const SgdStep sgd{.learning_rate = 0.05f, .momentum = 0.9f, .nesterov = true, .weight_decay = 0.01f};
            Tensor q = p0.clone(), velocity = m0.clone();
            sgd_update(q, g, velocity, sgd);
            std::vector<double> ep(p0.values().begin(), p0.values().end()), em(m0.values().begin(), m0.values().end()),
                ev(v0.values().begin(), v0.values().end()), eq = ep, evel = em;
            for (std::size_t i = 0; i < ep.size(); ++i) {
                reference::adam_step(ep[i], g.data()[i], em[i], ev[i], adam);
                reference::sgd_step(eq[i], g.data()[i], evel[i], sgd);
            }
            CHECK_CLOSE(testing::compare(p, ep, 1e-6, 1e-6));
            CHECK_CLOSE(testing::compare(m, em, 1e-8, 1e-6));
            CHECK_CLOSE(testing::compare(v, ev, 1e-9, 1e-6));
            CHECK_CLOSE(testing::compare(q, eq, 1e-6, 1e-6));
            CHECK_CLOSE(testing::compare(velocity, evel, 1e-7, 1e-6));
            Tensor y = p0.clone();
            axpy(-0.5f, g, y);
            CHECK_CLOSE(testing::compare(y, testing::map_reference(p0, [&, i = 0](double pv) mutable {
                                             return pv - 0.5 * g.data()[i++];
                                         }),
                                         1e-6, 1e-6));
        }
    });
}

TEST_CASE("a value does not depend on its position: fused tails compute like full vectors") {
    // The same buffers updated whole and shifted by one element (other lanes, the tail, unaligned).
    testing::for_each_instruction_set([&](InstructionSet) {
        const std::int64_t n = 4099;
        const Tensor p0 = testing::random_tensor({n}, 62), g = testing::random_tensor({n}, 63);
        const Tensor t = testing::random_tensor({n}, 64, 0.0f, 1.0f);
        Tensor p = p0.clone(), m = zeros({n}), v = zeros({n});
        Tensor q = p0.clone(), mq = zeros({n}), vq = zeros({n});
        Tensor q_view = q.rows(1, n), mq_view = mq.rows(1, n), vq_view = vq.rows(1, n);
        adam_update(p, g, m, v, AdamStep{.weight_decay = 0.1f, .step = 3});
        adam_update(q_view, g.rows(1, n), mq_view, vq_view, AdamStep{.weight_decay = 0.1f, .step = 3});
        CHECK(testing::bitwise_equal(p.rows(1, n).clone(), q_view.clone()));
        for (LossKind kind : all_losses) {
            Tensor whole(g.shape()), shifted({n - 1});
            loss_gradient(kind, g, t, 0.5f, whole, false);
            loss_gradient(kind, g.rows(1, n), t.rows(1, n), 0.5f, shifted, false);
            CHECK(testing::bitwise_equal(whole.rows(1, n).clone(), shifted));
        }
    });
}

TEST_CASE("adam_update on two gradients steps on their sum, leaving both as they were, on every size and instruction set") {
    testing::for_each_instruction_set([&](InstructionSet) {
        for (std::int64_t n : testing::sizes_with_parallel()) {
            CAPTURE(n);
            const std::uint64_t seed = 70 + static_cast<std::uint64_t>(n);
            const Tensor p0 = testing::random_tensor({n}, seed), g0 = testing::random_tensor({n}, seed + 1);
            const Tensor more = testing::random_tensor({n}, seed + 2);
            const AdamStep step{.learning_rate = 0.01f, .weight_decay = 0.004f, .step = 4};
            // The sum as one add per element (exact up to one rounding), then the one-gradient step.
            Tensor sum = g0.clone();
            for (std::int64_t i = 0; i < n; ++i) sum.data()[i] = g0.data()[i] + more.data()[i];
            Tensor expected = p0.clone(), em = zeros({n}), ev = zeros({n});
            adam_update(expected, sum, em, ev, step);
            Tensor p = p0.clone(), g = g0.clone(), m = zeros({n}), v = zeros({n});
            adam_update(p, g, more, m, v, step);
            CHECK(testing::bitwise_equal(g, g0));
            CHECK(testing::bitwise_equal(p, expected));
            CHECK(testing::bitwise_equal(m, em));
            CHECK(testing::bitwise_equal(v, ev));
        }
    });
}

TEST_CASE("the optimizer steps count subnormals as zero, and leave the caller's float mode as it was") {
    // Moments decayed below FLT_MIN, a gradient whose square is subnormal: unflushed, m would be
    // 0.9e-39 and v 1e-43; flushed, both are 0 and the weight does not move.
    const float subnormal = 1e-39f;
    REQUIRE(std::fpclassify(subnormal) == FP_SUBNORMAL);
    const unsigned int mode_before = _mm_getcsr();
    testing::for_each_instruction_set([&](InstructionSet) {
        for (std::int64_t n : {std::int64_t{17}, std::int64_t{1'000'003}}) {
            CAPTURE(n);
            Tensor p = full({n}, 0.5f), g = zeros({n}), m = full({n}, subnormal), v = full({n}, subnormal);
            g.data()[n - 1] = 1e-20f;  // g² = 1e-40
            adam_update(p, g, m, v, AdamStep{.step = 3});
            CHECK(m.values()[0] == 0.0f);
            CHECK(v.values()[0] == 0.0f);
            CHECK(v.values()[n - 1] == 0.0f);
            CHECK(p.values()[0] == 0.5f);
            Tensor q = full({n}, 0.5f), velocity = full({n}, subnormal);
            sgd_update(q, zeros({n}), velocity, SgdStep{.momentum = 0.9f});
            CHECK(velocity.values()[n / 2] == 0.0f);
            CHECK(q.values()[n / 2] == 0.5f);
        }
    });
    CHECK(_mm_getcsr() == mode_before);
    volatile float at_run_time = subnormal;  // not folded by the compiler: this thread still computes them
    CHECK(std::fpclassify(at_run_time * 0.5f) == FP_SUBNORMAL);
}

TEST_CASE("adam_update is bitwise the same on 1, 2 and 3 threads") {
    const std::int64_t n = 2'000'003;
    const Tensor p0 = testing::random_tensor({n}, 60), g = testing::random_tensor({n}, 61);
    testing::check_same_for_thread_counts([&] {
        Tensor p = p0.clone(), m = zeros({n}), v = zeros({n});
        for (int t = 1; t <= 2; ++t) adam_update(p, g, m, v, AdamStep{.step = t});
        return p;
    });
}

TEST_CASE("loss sums and gradients match the reference on every size and instruction set") {
    testing::for_each_instruction_set([&](InstructionSet) {
        for (LossKind kind : all_losses) {
            CAPTURE(static_cast<int>(kind));
            for (std::int64_t n : testing::sizes_with_parallel()) {
                CAPTURE(n);
                Tensor prediction, target;
                loss_operands(kind, n, 70 + static_cast<std::uint64_t>(n), prediction, target);
                double expected = 0.0, magnitude = 0.0;
                std::vector<double> gradient(static_cast<std::size_t>(n));
                const float scale = 0.25f;
                for (std::int64_t i = 0; i < n; ++i) {
                    const double l = reference::loss(kind, prediction.data()[i], target.data()[i]);
                    expected += l;
                    magnitude += std::fabs(l);
                    gradient[static_cast<std::size_t>(i)] =
                        scale * reference::loss_derivative(kind, prediction.data()[i], target.data()[i]);
                }
                CHECK(std::fabs(loss_sum(kind, prediction, target) - expected) <= 1e-5 * magnitude + 1e-12);
                Tensor g(prediction.shape());
                loss_gradient(kind, prediction, target, scale, g, false);
                CHECK_CLOSE(testing::compare(g, gradient, 1e-6, 1e-5));
                Tensor twice = g.clone();
                loss_gradient(kind, prediction, target, scale, twice, true);
                for (double& e : gradient) e *= 2.0;
                CHECK_CLOSE(testing::compare(twice, gradient, 1e-6, 1e-5));
            }
        }
    });
}

TEST_CASE("squared error through an activation: the loss sum and dz match the reference on every size and instruction set") {
    const std::pair<Activation, UnaryOp> activations[] = {{Activation::relu, UnaryOp::relu},
                                                          {Activation::leaky_relu, UnaryOp::leaky_relu},
                                                          {Activation::sigmoid, UnaryOp::sigmoid},
                                                          {Activation::tanh, UnaryOp::tanh}};
    testing::for_each_instruction_set([&](InstructionSet) {
        for (int which = -1; which < 4; ++which) {  // -1: linear
            CAPTURE(which);
            const float slope = 0.2f;
            for (std::int64_t n : testing::sizes_with_parallel()) {
                CAPTURE(n);
                const Tensor z = testing::random_tensor({n}, 90 + static_cast<std::uint64_t>(n), -3.0f, 3.0f);
                const Tensor target = testing::random_tensor({n}, 91 + static_cast<std::uint64_t>(n), 0.0f, 1.0f);
                Tensor y(z.shape());
                double expected = 0.0;
                std::vector<double> gradient(static_cast<std::size_t>(n));
                const float scale = 0.25f;
                for (std::int64_t i = 0; i < n; ++i) {
                    const double zi = z.data()[i];
                    const double yi = which < 0 ? zi : reference::unary(activations[which].second, zi, slope);
                    y.data()[i] = static_cast<float>(yi);
                    const double derivative = which < 0 ? 1.0 : reference::unary_derivative(activations[which].second, zi, slope);
                    const double error = static_cast<double>(y.data()[i]) - target.data()[i];
                    expected += error * error;
                    gradient[static_cast<std::size_t>(i)] = scale * 2.0 * error * derivative;
                }
                const Activation activation = which < 0 ? Activation::linear : activations[which].first;
                Tensor dz(y.shape());
                const double total = squared_error_through_activation(activation, y, target, scale, dz, slope);
                CHECK(std::fabs(total - expected) <= 1e-5 * expected + 1e-12);
                CHECK(std::fabs(total - loss_sum(LossKind::squared_error, y, target)) <= 1e-6 * expected + 1e-12);
                CHECK_CLOSE(testing::compare(dz, gradient, 1e-6, 1e-5));
            }
        }
    });
    Tensor dz({3});
    CHECK_THROWS_WITH_AS(squared_error_through_activation(Activation::softplus, zeros({3}), zeros({3}), 1.0f, dz),
                         "squared_error_through_activation: softplus' derivative needs the pre-activation",
                         std::invalid_argument);
}

TEST_CASE("cross-entropy from logits with its gradient: the sum and the gradient match the reference on every size and instruction set") {
    testing::for_each_instruction_set([&](InstructionSet) {
        for (std::int64_t n : testing::sizes_with_parallel()) {
            CAPTURE(n);
            Tensor z = testing::random_tensor({n}, 70 + static_cast<std::uint64_t>(n), -12.0f, 12.0f);
            if (n > 3) z.data()[0] = 0.0f, z.data()[1] = -90.0f, z.data()[2] = 90.0f;  // the middle and far saturation
            const Tensor target = testing::random_tensor({n}, 71 + static_cast<std::uint64_t>(n), 0.0f, 1.0f);
            const float scale = 0.5f;
            double expected = 0.0;
            std::vector<double> gradient(static_cast<std::size_t>(n));
            for (std::int64_t i = 0; i < n; ++i) {
                const double zi = z.data()[i], ti = target.data()[i];
                expected += reference::loss(LossKind::binary_cross_entropy_with_logits, zi, ti);
                gradient[static_cast<std::size_t>(i)] = scale * reference::loss_derivative(LossKind::binary_cross_entropy_with_logits, zi, ti);
            }
            Tensor g(z.shape());
            const double total = cross_entropy_of_logits(z, target, scale, g);
            CHECK(std::fabs(total - expected) <= 2e-6 * std::fabs(expected) + 1e-9);
            CHECK(std::fabs(total - loss_sum(LossKind::binary_cross_entropy_with_logits, z, target)) <= 2e-6 * std::fabs(expected) + 1e-9);
            CHECK_CLOSE(testing::compare(g, gradient, 1e-7, 1e-5));
        }
    });
}

TEST_CASE("losses stay finite at extreme inputs") {
    testing::for_each_instruction_set([&](InstructionSet) {
        const Tensor logits = from_buffer(std::vector<float>{-1e4f, -1e4f, 1e4f, 1e4f, 0.0f}, {5});
        const Tensor targets = from_buffer(std::vector<float>{0.0f, 1.0f, 0.0f, 1.0f, 1.0f}, {5});
        const double with_logits = loss_sum(LossKind::binary_cross_entropy_with_logits, logits, targets);
        CHECK(std::isfinite(with_logits));
        CHECK(with_logits == doctest::Approx(2e4 + std::log(2.0)));  // the two confidently wrong ones
        Tensor g({5});
        loss_gradient(LossKind::binary_cross_entropy_with_logits, logits, targets, 1.0f, g, false);
        CHECK(all_finite(g));
        CHECK(g.at({1}) == -1.0f);
        CHECK(g.at({2}) == 1.0f);
        // Probabilities at and beyond the clip: the loss is capped at -log(1e-7), the gradient is 0.
        const Tensor probabilities = from_buffer(std::vector<float>{0.0f, 1.0f, 0.0f, 1.0f, 0.5f}, {5});
        const double bce = loss_sum(LossKind::binary_cross_entropy, probabilities, targets);
        CHECK(std::isfinite(bce));
        double clipped = 0.0;
        for (std::int64_t i = 0; i < 5; ++i)
            clipped += reference::loss(LossKind::binary_cross_entropy, probabilities.data()[i], targets.data()[i]);
        CHECK(bce == doctest::Approx(clipped).epsilon(1e-6));
        CHECK(bce < 33.0);  // two terms of about -log(1e-7) = 16.1, and log 2
        loss_gradient(LossKind::binary_cross_entropy, probabilities, targets, 1.0f, g, false);
        CHECK(all_finite(g));
        CHECK(g.at({0}) == 0.0f);
        CHECK(g.at({3}) == 0.0f);
        CHECK(g.at({4}) == doctest::Approx(-2.0));
    });
}

TEST_CASE("absolute error's gradient is 0 where prediction equals target") {
    const Tensor p = from_buffer(std::vector<float>{1.0f, 2.0f, 3.0f}, {3});
    const Tensor t = from_buffer(std::vector<float>{1.0f, 1.0f, 4.0f}, {3});
    Tensor g({3});
    loss_gradient(LossKind::absolute_error, p, t, 1.0f, g, false);
    CHECK(g.at({0}) == 0.0f);
    CHECK(g.at({1}) == 1.0f);
    CHECK(g.at({2}) == -1.0f);
}

TEST_CASE("convert_u8 scales bytes to floats") {
    testing::for_each_instruction_set([&](InstructionSet) {
        for (std::int64_t n : testing::sizes_with_parallel()) {
            std::vector<std::uint8_t> bytes(static_cast<std::size_t>(n));
            for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i * 37 + 11);
            // Into a tensor's aligned storage and one float past it (unaligned vector stores).
            Tensor out(Shape{n + 1});
            for (std::int64_t offset : {0, 1}) {
                CAPTURE(n);
                CAPTURE(offset);
                out.fill(-1.0f);
                convert_u8(bytes.data(), n, 1.0f / 255.0f, out.data() + offset);
                bool exact = true;
                for (std::size_t i = 0; i < bytes.size(); ++i)
                    exact &= out.data()[offset + static_cast<std::int64_t>(i)] == (1.0f / 255.0f) * static_cast<float>(bytes[i]);
                CHECK(exact);
                CHECK(out.data()[offset == 0 ? n : 0] == -1.0f);  // nothing written outside
            }
        }
    });
}

TEST_CASE("convert_u8_rows gathers rows of bytes as floats, streamed or kept in cache") {
    testing::for_each_instruction_set([&](InstructionSet) {
        for (const BatchReader reader : {BatchReader::other_threads, BatchReader::gathering_thread}) {
            for (std::int64_t width : {0, 1, 3, 16, 17, 255, 257, 784}) {
                const std::int64_t rows = 7;
                std::vector<std::uint8_t> bytes(static_cast<std::size_t>(rows * width));
                for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i * 37 + 11);
                // More rows than the gather asks for ahead of the one it converts (7 rows of 784 bytes).
                std::vector<std::int64_t> indices = {6, 0, 3, 3, 1};
                for (std::int64_t i = 0; i < 40; ++i) indices.push_back((i * 5 + 2) % rows);
                const std::int64_t count = static_cast<std::int64_t>(indices.size());
                // Rows of 16 floats and their multiples start aligned (streamed); others do not.
                Tensor out(Shape{count * width + 1});
                out.fill(-1.0f);
                convert_u8_rows(bytes.data(), width, indices.data(), count, 0.5f, out.data(), reader);
                CAPTURE(width);
                CAPTURE(static_cast<int>(reader));
                bool exact = true;
                for (std::int64_t i = 0; i < count; ++i) {
                    const std::int64_t row = indices[static_cast<std::size_t>(i)];
                    for (std::int64_t j = 0; j < width; ++j)
                        exact &= out.data()[i * width + j] ==
                                 0.5f * static_cast<float>(bytes[static_cast<std::size_t>(row * width + j)]);
                }
                CHECK(exact);
                CHECK(out.data()[count * width] == -1.0f);  // nothing written past the rows
            }
        }
    });
}

TEST_CASE("shape errors name the op and both shapes") {
    Tensor p = zeros({2, 3}), m = zeros({2, 3}), v = zeros({3, 2});
    CHECK_THROWS_WITH_AS(adam_update(p, zeros({2, 3}), m, v, AdamStep{}),
                         "adam_update: shape [2, 3] and shape [3, 2]: parameter and second moment shapes differ",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(loss_sum(LossKind::squared_error, zeros({4}), zeros({5})),
                         "loss_sum: shape [4] and shape [5]: prediction and target shapes differ", std::invalid_argument);
    CHECK_THROWS_WITH_AS(axpy(1.0f, zeros({4}), p), "axpy: shape [4] and shape [2, 3]: x and y shapes differ",
                         std::invalid_argument);
}

}  // TEST_SUITE
