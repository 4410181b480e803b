#include <cmath>
#include <set>
#include <vector>

#include "tests/support.hpp"
#include "tensor/creation.hpp"
#include "tensor/random.hpp"

using namespace smallnet;

namespace {
struct Moments {
    double mean = 0, stddev = 0, min = 1e300, max = -1e300;
};
Moments moments(const Tensor& t) {
    Moments m;
    double sum = 0, sum_squares = 0;
    for (float v : t.values()) {
        sum += v;
        sum_squares += static_cast<double>(v) * v;
        m.min = std::min<double>(m.min, v);
        m.max = std::max<double>(m.max, v);
    }
    const double n = static_cast<double>(t.numel());
    m.mean = sum / n;
    m.stddev = std::sqrt(sum_squares / n - m.mean * m.mean);
    return m;
}
}  // namespace

TEST_SUITE("tensor.random") {

TEST_CASE("the same seed gives the same numbers; another seed others") {
    Generator a(7), b(7), c(8);
    for (int i = 0; i < 100; ++i) {
        const auto x = a.next_u64();
        CHECK(x == b.next_u64());
        CHECK(x != c.next_u64());
    }
}

TEST_CASE("uniform fills are the same on 1 and 2 threads and continue the stream") {
    Tensor one, two;
    testing::with_threads(1, [&] {
        Generator g(3);
        one = uniform(Shape{200001}, -1.0f, 1.0f, g);
        CHECK(g.position() == 200001);
    });
    testing::with_threads(2, [&] {
        Generator g(3);
        two = uniform(Shape{200001}, -1.0f, 1.0f, g);
    });
    CHECK(testing::bitwise_equal(one, two));
    Generator serial(3);
    for (std::int64_t i = 0; i < 1000; ++i) CHECK(one.data()[i] == -1.0f + 2.0f * serial.uniform());
}

TEST_CASE("fill_normal matches Box-Muller in double on the same stream, on every size and instruction set") {
    testing::for_each_instruction_set([&](InstructionSet) {
        for (std::int64_t n : {0, 1, 2, 3, 17, 255, 257, 512, 513, 4099}) {
            CAPTURE(n);
            Generator g(21);
            std::vector<float> z(static_cast<std::size_t>(n));
            g.fill_normal(z.data(), n, 1.5f, 2.0f);
            CHECK(g.position() == static_cast<std::uint64_t>((n + 1) / 2 * 2));
            double worst = 0.0;
            for (std::int64_t i = 0; i < n; ++i) {
                const std::uint64_t first = static_cast<std::uint64_t>(i - i % 2);
                const double u1 = (static_cast<double>(g.bits_at(first) >> 40) + 1.0) / 16777216.0;
                const double u2 = static_cast<double>(g.bits_at(first + 1) >> 40) / 16777216.0;
                const double radius = std::sqrt(-2.0 * std::log(u1));
                const double angle = 2.0 * 3.14159265358979323846 * u2;
                const double expected = 1.5 + 2.0 * radius * (i % 2 == 0 ? std::cos(angle) : std::sin(angle));
                worst = std::max(worst, std::fabs(z[static_cast<std::size_t>(i)] - expected));
            }
            CHECK(worst < 2e-5);  // float's sincos on angles up to 2 pi, times radii up to 5.8, times 2
        }
    });
}

TEST_CASE("uniform and normal have the right moments") {
    Generator g(11);
    const Moments u = moments(uniform(Shape{1 << 20}, -3.0f, 5.0f, g));
    CHECK(u.mean == doctest::Approx(1.0).epsilon(0.01));
    CHECK(u.stddev == doctest::Approx(8.0 / std::sqrt(12.0)).epsilon(0.01));
    CHECK(u.min >= -3.0);
    CHECK(u.max < 5.0);
    Tensor n_one, n_two;
    testing::with_threads(1, [&] { Generator h(5); n_one = normal(Shape{100001}, 2.0f, 0.5f, h); });
    testing::with_threads(2, [&] { Generator h(5); n_two = normal(Shape{100001}, 2.0f, 0.5f, h); });
    CHECK(testing::bitwise_equal(n_one, n_two));
    const Moments n = moments(n_one);
    CHECK(n.mean == doctest::Approx(2.0).epsilon(0.005));
    CHECK(n.stddev == doctest::Approx(0.5).epsilon(0.01));
}

TEST_CASE("below() covers its range without bias") {
    Generator g(1);
    int counts[6] = {};
    for (int i = 0; i < 60000; ++i) ++counts[g.below(6)];
    for (int c : counts) CHECK(c == doctest::Approx(10000).epsilon(0.05));
}

TEST_CASE("Glorot and He initialisers stay within their Keras bounds") {
    Generator g(2);
    const double glorot_limit = std::sqrt(6.0 / (784 + 128));
    const Moments glorot = moments(glorot_uniform(784, 128, g));
    CHECK(glorot.min >= -glorot_limit);
    CHECK(glorot.max <= glorot_limit);
    CHECK(glorot.max > 0.99 * glorot_limit);
    CHECK(glorot.stddev == doctest::Approx(glorot_limit / std::sqrt(3.0)).epsilon(0.02));
    const double he_limit = std::sqrt(6.0 / 784);
    const Moments he = moments(he_uniform(784, 128, g));
    CHECK(he.max <= he_limit);
    CHECK(he.min >= -he_limit);
    const Moments he_n = moments(he_normal(784, 128, g));
    const double he_std = std::sqrt(2.0 / 784) / 0.87962566103423978;
    CHECK(he_n.max <= 2.0 * he_std * 1.0001);
    CHECK(he_n.stddev == doctest::Approx(std::sqrt(2.0 / 784)).epsilon(0.02));
    CHECK(glorot_uniform(3, 4, g).shape() == Shape{3, 4});
    CHECK_THROWS_AS(glorot_uniform(0, 4, g), std::invalid_argument);
}

}  // TEST_SUITE
