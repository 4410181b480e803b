#include <cmath>

#include "tests/support.hpp"
#include "nn/nn.hpp"

using namespace smallnet;

// A 2-parameter problem, loss = p0² + p1², gradient 2p; three steps of each optimizer against the
// update rule worked out here in double.
TEST_SUITE("nn.optimizers") {

TEST_CASE("Adam's first three steps match Keras' formula") {
    Tensor p = from_buffer(std::vector<float>{1.0f, -2.0f}, Shape{2});
    Tensor g(Shape{2});
    Adam adam;
    double expected[2] = {1.0, -2.0}, m[2] = {0, 0}, v[2] = {0, 0};
    for (int t = 1; t <= 3; ++t) {
        for (int i = 0; i < 2; ++i) g.data()[i] = 2.0f * p.data()[i];
        adam.step(p, g);
        for (int i = 0; i < 2; ++i) {
            const double grad = 2.0 * expected[i];
            m[i] = 0.9 * m[i] + 0.1 * grad;
            v[i] = 0.999 * v[i] + 0.001 * grad * grad;
            const double m_hat = m[i] / (1 - std::pow(0.9, t)), v_hat = v[i] / (1 - std::pow(0.999, t));
            expected[i] -= 1e-3 * m_hat / (std::sqrt(v_hat) + 1e-7);
            CHECK(p.data()[i] == doctest::Approx(expected[i]).epsilon(1e-6));
        }
    }
    // The first step moves each parameter by the learning rate, whatever the gradient's size.
    CHECK(expected[0] == doctest::Approx(1.0 - 3e-3).epsilon(1e-4));
}

TEST_CASE("AdamW decays the weights apart from the gradient") {
    Tensor p = from_buffer(std::vector<float>{1.0f, -2.0f}, Shape{2});
    Tensor zero_gradient = zeros(Shape{2});
    AdamW adamw({.learning_rate = 0.1f, .weight_decay = 0.5f});
    adamw.step(p, zero_gradient);
    CHECK(p.data()[0] == doctest::Approx(1.0 - 0.1 * 0.5 * 1.0));
    CHECK(p.data()[1] == doctest::Approx(-2.0 + 0.1 * 0.5 * 2.0));
}

TEST_CASE("SGD with momentum and with Nesterov momentum, three steps") {
    for (bool nesterov : {false, true}) {
        CAPTURE(nesterov);
        Tensor p = from_buffer(std::vector<float>{1.0f, -2.0f}, Shape{2});
        Tensor g(Shape{2});
        SGD sgd({.learning_rate = 0.1f, .momentum = 0.9f, .nesterov = nesterov});
        double expected[2] = {1.0, -2.0}, velocity[2] = {0, 0};
        for (int t = 1; t <= 3; ++t) {
            for (int i = 0; i < 2; ++i) g.data()[i] = 2.0f * p.data()[i];
            sgd.step(p, g);
            for (int i = 0; i < 2; ++i) {
                const double grad = 2.0 * expected[i];
                velocity[i] = 0.9 * velocity[i] - 0.1 * grad;
                expected[i] += nesterov ? 0.9 * velocity[i] - 0.1 * grad : velocity[i];
                CHECK(p.data()[i] == doctest::Approx(expected[i]).epsilon(1e-6));
            }
        }
    }
    Tensor p = full(Shape{1}, 3.0f), g = full(Shape{1}, 1.0f);
    SGD plain;
    plain.step(p, g);
    CHECK(p.item() == doctest::Approx(3.0 - 0.01));
}

}  // TEST_SUITE
