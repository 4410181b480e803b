#include <cmath>
#include <numbers>

#include "tests/support.hpp"
#include "nn/datasets/two_normals.hpp"
#include "nn/preprocessing.hpp"

using namespace smallnet;

TEST_SUITE("nn.two_normals") {

TEST_CASE("class centres, spread and class frequencies match mlbench.2dnormals") {
    for (int classes : {2, 3}) {
        CAPTURE(classes);
        Generator generator(7);
        const std::int64_t n = 30000;
        const LabelledPoints data = two_normals({.points = n, .classes = classes, .radius = std::nullopt, .stddev = 0.5}, generator);
        REQUIRE(data.x.shape() == Shape{n, 2});
        REQUIRE(static_cast<std::int64_t>(data.labels.size()) == n);
        std::vector<double> count(classes), sx(classes), sy(classes), sxx(classes), syy(classes), sxy(classes);
        for (std::int64_t i = 0; i < n; ++i) {
            const int e = data.labels[static_cast<std::size_t>(i)];
            REQUIRE(e >= 0);
            REQUIRE(e < classes);
            const double x = data.x.at({i, 0}), y = data.x.at({i, 1});
            count[e] += 1, sx[e] += x, sy[e] += y, sxx[e] += x * x, syy[e] += y * y, sxy[e] += x * y;
        }
        for (int e = 0; e < classes; ++e) {
            CAPTURE(e);
            CHECK(count[e] / n == doctest::Approx(1.0 / classes).epsilon(0.05));
            // r = sqrt(cl), angle π/4 + 2πe/cl
            const double angle = std::numbers::pi / 4 + 2 * std::numbers::pi * e / classes;
            const double r = std::sqrt(static_cast<double>(classes));
            const double mx = sx[e] / count[e], my = sy[e] / count[e];
            CHECK(mx == doctest::Approx(r * std::cos(angle)).epsilon(0.03).scale(1.0));
            CHECK(my == doctest::Approx(r * std::sin(angle)).epsilon(0.03).scale(1.0));
            const double vx = sxx[e] / count[e] - mx * mx, vy = syy[e] / count[e] - my * my;
            CHECK(std::sqrt(vx) == doctest::Approx(0.5).epsilon(0.03));
            CHECK(std::sqrt(vy) == doctest::Approx(0.5).epsilon(0.03));
            CHECK(std::fabs(sxy[e] / count[e] - mx * my) < 0.02);  // independent coordinates
        }
    }
}

TEST_CASE("the same seed gives the same points; another seed others") {
    Generator a(3), b(3), c(4);
    const auto x = two_normals({.points = 50}, a), y = two_normals({.points = 50}, b), z = two_normals({.points = 50}, c);
    CHECK(testing::bitwise_equal(x.x, y.x));
    CHECK(x.labels == y.labels);
    CHECK_FALSE(testing::bitwise_equal(x.x, z.x));
}

TEST_CASE("standardize gives every column mean 0 and sd 1 with the n - 1 denominator, as R's scale()") {
    Tensor hand = from_buffer(std::vector<float>{1, 10, 2, 20, 3, 60}, Shape{3, 2});
    const ColumnScaling s = standardize(hand);
    CHECK(s.mean[0] == doctest::Approx(2.0));
    CHECK(s.stddev[0] == doctest::Approx(1.0));  // sqrt(((1-2)² + 0 + (3-2)²) / 2)
    CHECK(s.mean[1] == doctest::Approx(30.0));
    CHECK(s.stddev[1] == doctest::Approx(std::sqrt((400.0 + 100.0 + 900.0) / 2)));
    CHECK(hand.at({0, 0}) == doctest::Approx(-1.0));
    CHECK(hand.at({2, 0}) == doctest::Approx(1.0));
    // The training set's scaling, applied to other data (a test set).
    Tensor other = from_buffer(std::vector<float>{4, 30}, Shape{1, 2});
    apply_scaling(s, other);
    CHECK(other.at({0, 0}) == doctest::Approx(2.0));
    CHECK(other.at({0, 1}) == doctest::Approx(0.0));
    Tensor wrong(Shape{1, 3});
    CHECK_THROWS_AS(apply_scaling(s, wrong), std::invalid_argument);

    Generator generator(11);
    LabelledPoints data = two_normals({.points = 1000}, generator);
    standardize(data.x);
    const ColumnScaling after = column_scaling(data.x);
    for (int j = 0; j < 2; ++j) {
        CHECK(std::fabs(after.mean[static_cast<std::size_t>(j)]) < 1e-6);
        CHECK(after.stddev[static_cast<std::size_t>(j)] == doctest::Approx(1.0).epsilon(1e-5));
    }
}

TEST_CASE("bad arguments are refused") {
    Generator generator(1);
    CHECK_THROWS_AS(two_normals({.points = 0}, generator), std::invalid_argument);
    CHECK_THROWS_AS(two_normals({.points = 5, .classes = 0}, generator), std::invalid_argument);
    Tensor one_row = zeros(Shape{1, 2});
    CHECK_THROWS_AS(standardize(one_row), std::invalid_argument);
}

}
