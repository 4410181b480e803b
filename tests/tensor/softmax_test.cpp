// softmax and the categorical cross-entropy kernels against plain double-precision references, on
// awkward row lengths and row counts (none included), with the values Keras' formulas give.
#include <cmath>
#include <stdexcept>
#include <vector>

#include "tensor/softmax.hpp"
#include "tests/support.hpp"

using namespace smallnet;

namespace {

std::vector<double> reference_softmax(const Tensor& x, std::int64_t classes) {
    std::vector<double> out(static_cast<std::size_t>(x.numel()));
    for (std::int64_t r = 0; classes > 0 && r < x.numel() / classes; ++r) {
        double largest = -INFINITY, total = 0.0;
        for (std::int64_t c = 0; c < classes; ++c) largest = std::max(largest, double{x.data()[r * classes + c]});
        for (std::int64_t c = 0; c < classes; ++c) total += std::exp(double{x.data()[r * classes + c]} - largest);
        for (std::int64_t c = 0; c < classes; ++c)
            out[static_cast<std::size_t>(r * classes + c)] = std::exp(double{x.data()[r * classes + c]} - largest) / total;
    }
    return out;
}

Tensor values_of(std::initializer_list<float> values, Shape shape) {
    Tensor t(shape);
    std::copy(values.begin(), values.end(), t.data());
    return t;
}

}  // namespace

TEST_SUITE("tensor.softmax") {

TEST_CASE("softmax matches the reference on awkward sizes, for any thread count, and never overflows") {
    for (std::int64_t classes : {1, 3, 17, 255, 257}) {
        for (std::int64_t rows : {0, 1, 3, 600}) {
            CAPTURE(classes);
            CAPTURE(rows);
            Tensor x = testing::random_tensor({rows, classes}, 7 + classes, -30.0f, 30.0f);
            if (rows > 0) x.data()[0] = 1000.0f;  // exp(1000) overflows unless the maximum is subtracted
            const std::vector<double> expected = reference_softmax(x, classes);
            for (int threads : {1, 2}) {
                set_num_threads(threads);
                Tensor y(x.shape());
                softmax(x, y);
                const auto result = testing::compare(y, expected, 1e-7, 1e-5);
                CHECK_MESSAGE(result.close, result.message);
                Tensor in_place = x.clone();
                softmax(in_place, in_place);
                CHECK(testing::bitwise_equal(in_place, y));
            }
            set_num_threads(0);
        }
    }
    Tensor no_classes(Shape{2, 0});
    CHECK_THROWS_AS(softmax(no_classes, no_classes), std::invalid_argument);
}

TEST_CASE("softmax_backward is y (dy - sum(dy y)), written or accumulated") {
    const Tensor y = values_of({0.2f, 0.3f, 0.5f}, {1, 3});
    const Tensor dy = values_of({1.0f, -2.0f, 0.5f}, {1, 3});
    const double dot = 0.2 * 1.0 + 0.3 * -2.0 + 0.5 * 0.5;
    Tensor dx = values_of({10.0f, 10.0f, 10.0f}, {1, 3});
    softmax_backward(y, dy, dx, true);
    CHECK(dx.data()[0] == doctest::Approx(10.0 + 0.2 * (1.0 - dot)));
    CHECK(dx.data()[1] == doctest::Approx(10.0 + 0.3 * (-2.0 - dot)));
    softmax_backward(y, dy, dx, false);
    CHECK(dx.data()[2] == doctest::Approx(0.5 * (0.5 - dot)));
}

TEST_CASE("the cross-entropies give Keras' values: clamped probabilities, stable logits, one-hot or labels") {
    const Tensor probabilities = values_of({0.7f, 0.2f, 0.1f, 0.0f, 1.0f, 0.0f}, {2, 3});
    const Tensor labels = values_of({0.0f, 2.0f}, {2, 1});
    const Tensor one_hot = values_of({1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 1.0f}, {2, 3});
    // Row 2 puts 0 on its class: the clamp turns it into 1e-7, so the loss is finite and large.
    const double eps = 1e-7, clipped_sum = 1e-7 + (1.0 - 1e-7) + 1e-7;
    const double sparse = -std::log(0.7 / 1.0) + -std::log(eps / clipped_sum);
    CHECK(categorical_cross_entropy_sum(ClassScores::probabilities, ClassTargets::labels, probabilities, labels) ==
          doctest::Approx(sparse).epsilon(1e-5));
    const double dense = -std::log(0.7) - std::log(eps);
    CHECK(categorical_cross_entropy_sum(ClassScores::probabilities, ClassTargets::one_hot, probabilities, one_hot) ==
          doctest::Approx(dense).epsilon(1e-5));
    // Logits far apart: logsumexp stays finite.
    const Tensor logits = values_of({100.0f, 0.0f, -100.0f, 1.0f, 2.0f, 3.0f}, {2, 3});
    const double row2 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
    const double expected = (100.0 - 100.0) + (row2 - 3.0);
    CHECK(categorical_cross_entropy_sum(ClassScores::logits, ClassTargets::labels, logits, labels) ==
          doctest::Approx(expected).epsilon(1e-6));
    CHECK(categorical_cross_entropy_sum(ClassScores::logits, ClassTargets::one_hot, logits, one_hot) ==
          doctest::Approx(expected).epsilon(1e-6));
    // The gradient on logits is softmax - one-hot, scaled.
    Tensor gradient(logits.shape());
    categorical_cross_entropy_sum(ClassScores::logits, ClassTargets::labels, logits, labels, &gradient, 0.5f);
    const std::vector<double> p = reference_softmax(logits, 3);
    CHECK(gradient.data()[5] == doctest::Approx(0.5 * (p[5] - 1.0)));
    CHECK(gradient.data()[3] == doctest::Approx(0.5 * p[3]));
}

TEST_CASE("a label that is not a class index is refused with the sample and the value") {
    const Tensor scores = testing::random_tensor({3, 4}, 5);
    for (float bad : {4.0f, -1.0f, 1.5f, NAN}) {
        CAPTURE(bad);
        const Tensor labels = values_of({0.0f, bad, 2.0f}, {3});
        try {
            categorical_cross_entropy_sum(ClassScores::logits, ClassTargets::labels, scores, labels);
            FAIL("accepted label " << bad);
        } catch (const std::invalid_argument& e) {
            CHECK(std::string(e.what()).find("label of sample 1") != std::string::npos);
            CHECK(std::string(e.what()).find("[0, 4)") != std::string::npos);
        }
    }
    CHECK_THROWS_AS(categorical_cross_entropy_sum(ClassScores::logits, ClassTargets::labels, scores, values_of({0, 1}, {2})),
                    std::invalid_argument);
    CHECK_THROWS_AS(categorical_cross_entropy_sum(ClassScores::logits, ClassTargets::one_hot, scores, Tensor(Shape{3, 5})),
                    std::invalid_argument);
}

TEST_CASE("count_correct_classes takes the first largest score, against labels or one-hot targets") {
    const Tensor scores = values_of({0.1f, 0.7f, 0.2f, 0.5f, 0.5f, 0.0f, 0.0f, 0.1f, 0.9f}, {3, 3});
    CHECK(count_correct_classes(ClassTargets::labels, scores, values_of({1, 1, 2}, {3})) == 2);  // tie -> class 0
    CHECK(count_correct_classes(ClassTargets::one_hot, scores, values_of({0, 1, 0, 1, 0, 0, 0, 0, 1}, {3, 3})) == 3);
}

}  // TEST_SUITE
