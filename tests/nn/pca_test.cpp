#include <cmath>

#include "tests/support.hpp"
#include "nn/byte_matrix.hpp"
#include "nn/pca.hpp"
#include "tensor/creation.hpp"

using namespace smallnet;

namespace {

// A = Q·diag(values)·Qᵀ with Q a Householder reflection I − 2vvᵀ/vᵀv.
std::vector<double> planted_matrix(const std::vector<double>& values, std::vector<double>& q) {
    const std::size_t n = values.size();
    std::vector<double> v(n);
    double vv = 0;
    for (std::size_t i = 0; i < n; ++i) v[i] = std::sin(1.0 + 0.7 * static_cast<double>(i)), vv += v[i] * v[i];
    q.assign(n * n, 0.0);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j) q[i * n + j] = (i == j) - 2 * v[i] * v[j] / vv;
    std::vector<double> a(n * n, 0.0);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j)
            for (std::size_t k = 0; k < n; ++k) a[i * n + j] += q[i * n + k] * values[k] * q[j * n + k];
    return a;
}

double abs_dot(const float* a, const std::vector<double>& b) {
    double d = 0;
    for (std::size_t i = 0; i < b.size(); ++i) d += a[i] * b[i];
    return std::fabs(d);
}

}  // namespace

TEST_SUITE("nn.pca") {

TEST_CASE("Jacobi finds the eigenvalues and eigenvectors of known symmetric matrices") {
    const SymmetricEigen two = jacobi_eigen(std::vector<double>{2, 1, 1, 2}, 2);
    CHECK(two.values[0] == doctest::Approx(3.0));
    CHECK(two.values[1] == doctest::Approx(1.0));
    CHECK(std::fabs(two.vectors[0]) == doctest::Approx(std::sqrt(0.5)));  // (1, 1)/√2 in column 0
    CHECK(two.vectors[0] * two.vectors[2] > 0);

    const std::vector<double> values = {9, 7, 5, 4, 3, 2.5, 1, 0.5, 0.1, -2};
    std::vector<double> q;
    const std::vector<double> a = planted_matrix(values, q);
    const SymmetricEigen eigen = jacobi_eigen(a, 10);
    for (std::size_t j = 0; j < 10; ++j) {
        CAPTURE(j);
        CHECK(eigen.values[j] == doctest::Approx(values[j]).epsilon(1e-10));
        // The eigenvector is column j of Q, up to sign.
        double dot = 0;
        for (std::size_t i = 0; i < 10; ++i) dot += eigen.vectors[i * 10 + j] * q[i * 10 + j];
        CHECK(std::fabs(dot) == doctest::Approx(1.0).epsilon(1e-9));
    }
}

TEST_CASE("2-D PCA is the closed form of the 2x2 covariance") {
    // Points on a line y = 2x plus a small perpendicular offset.
    Tensor x(Shape{400, 2});
    Generator generator(5);
    for (std::int64_t i = 0; i < 400; ++i) {
        const float t = generator.normal(), u = 0.1f * generator.normal();
        x.at({i, 0}) = 3 + t - 2 * u;
        x.at({i, 1}) = -1 + 2 * t + u;
    }
    const Tensor c = covariance(x);
    const double a = c.at({0, 0}), b = c.at({0, 1}), d = c.at({1, 1});
    const double top = (a + d) / 2 + std::sqrt((a - d) * (a - d) / 4 + b * b);
    const double bottom = (a + d) / 2 - std::sqrt((a - d) * (a - d) / 4 + b * b);
    const Pca pca = fit_pca(x, 1);
    CHECK(pca.variances[0] == doctest::Approx(top).epsilon(1e-5));
    CHECK(pca.total_variance == doctest::Approx(a + d).epsilon(1e-6));
    CHECK(abs_dot(pca.components.data(), {1 / std::sqrt(5.0), 2 / std::sqrt(5.0)}) == doctest::Approx(1.0).epsilon(1e-3));
    // The reconstruction error is the dropped variance, per element, with the 1/n of a mean.
    CHECK(pca.reconstruction_mse(x) == doctest::Approx(bottom * 399 / 400 / 2).epsilon(1e-3));
}

TEST_CASE("block power iteration recovers planted principal axes in 200 dimensions") {
    const std::int64_t n = 2000, d = 200;
    Generator generator(9);
    // Two planted orthogonal axes u (sd 5) and w (sd 3), isotropic noise sd 0.3.
    std::vector<double> u(d), w(d);
    for (std::int64_t i = 0; i < d; ++i) {
        u[static_cast<std::size_t>(i)] = (i % 3 == 0 ? 1.0 : 0.0);
        w[static_cast<std::size_t>(i)] = (i % 3 == 1 ? 1.0 : 0.0);
    }
    const double nu = std::sqrt(static_cast<double>((d + 2) / 3)), nw = std::sqrt(static_cast<double>((d + 1) / 3));
    for (auto& v : u) v /= nu;
    for (auto& v : w) v /= nw;
    Tensor x(Shape{n, d});
    for (std::int64_t r = 0; r < n; ++r) {
        const double a = 5 * generator.normal(), b = 3 * generator.normal();
        for (std::int64_t i = 0; i < d; ++i)
            x.at({r, i}) = static_cast<float>(1.0 + a * u[static_cast<std::size_t>(i)] + b * w[static_cast<std::size_t>(i)] +
                                              0.3 * generator.normal());
    }
    const Pca pca = fit_pca(x, 2, {.seed = 1});
    CHECK(pca.converged);
    CHECK(pca.iterations > 0);
    CHECK(pca.residual <= 1e-5);
    CHECK(pca.variances[0] == doctest::Approx(25.0 + 0.09).epsilon(0.1));
    CHECK(pca.variances[1] == doctest::Approx(9.0 + 0.09).epsilon(0.1));
    CHECK(abs_dot(pca.components.data(), u) > 0.999);
    CHECK(abs_dot(pca.components.data() + d, w) > 0.999);
    // Against the direct solve of the same covariance.
    const Tensor c = covariance(x);
    const SymmetricEigen eigen = jacobi_eigen(std::vector<double>(c.data(), c.data() + d * d), static_cast<int>(d));
    CHECK(pca.variances[0] == doctest::Approx(eigen.values[0]).epsilon(1e-4));
    CHECK(pca.variances[1] == doctest::Approx(eigen.values[1]).epsilon(1e-4));
    // Codes and reconstruction: projecting twice changes nothing.
    const Tensor codes = pca.transform(x);
    CHECK(codes.shape() == Shape{n, 2});
    const Tensor back = pca.inverse_transform(codes);
    const Tensor again = pca.inverse_transform(pca.transform(back));
    CHECK_CLOSE(testing::compare(again, std::vector<double>(back.data(), back.data() + back.numel()), 1e-3, 1e-4));
}

TEST_CASE("the explained variance fraction: the components' share of the variance; 1 for data without any") {
    const Tensor x = testing::random_tensor(Shape{60, 6}, 7);
    const Pca two = fit_pca(x, 2);
    CHECK(two.explained_variance_fraction() == doctest::Approx((two.variances[0] + two.variances[1]) / two.total_variance));
    CHECK(two.explained_variance_fraction() > 0.0);
    CHECK(two.explained_variance_fraction() < 1.0);
    CHECK(fit_pca(x, 6).explained_variance_fraction() == doctest::Approx(1.0));
    // Every row the same (images all black or all white): the mean alone reconstructs them exactly, so
    // nothing is lost and the fraction is 1, not 0/0. 784 features take the block power iteration.
    for (const float value : {0.0f, 1.0f}) {
        CAPTURE(value);
        Tensor constant(Shape{20, 784});
        for (float& v : constant.values()) v = value;
        const Pca pca = fit_pca(constant, 32);
        CHECK(pca.total_variance == 0.0);
        CHECK(pca.explained_variance_fraction() == 1.0);
        CHECK(pca.reconstruction_mse(constant) == 0.0);
    }
}

TEST_CASE("uint8 images give bitwise the PCA, codes and error of the same images as floats, batch by batch") {
    // 50 rows in batches of 16: the last has 2. Bytes are centred in their conversion buffer; floats
    // are the caller's, centred into another buffer and left as they were.
    std::vector<std::uint8_t> bytes(50 * 12);
    Generator g(9);
    for (auto& b : bytes) b = static_cast<std::uint8_t>(g.below(256));
    const ByteMatrix images(bytes, 50, 12, 1.0f / 255.0f);
    const Tensor floats = images.to_tensor(), untouched = floats.clone();
    const PcaOptions options{.batch_rows = 16};
    const Pca from_bytes = fit_pca(images, 3, options), from_floats = fit_pca(floats, 3, options);
    CHECK(testing::bitwise_equal(from_bytes.mean, from_floats.mean));
    CHECK(testing::bitwise_equal(from_bytes.components, from_floats.components));
    CHECK(testing::bitwise_equal(from_bytes.transform(images, 16), from_floats.transform(floats, 16)));
    CHECK(from_bytes.reconstruction_mse(images, 16) == from_floats.reconstruction_mse(floats, 16));
    CHECK(testing::bitwise_equal(floats, untouched));
    // The batches' buffers went back to the system, not to the storage cache.
    CHECK(storage_cache_bytes() == 0);
}

TEST_CASE("bad component counts are refused") {
    const Tensor x = zeros(Shape{10, 3});
    CHECK_THROWS_AS(fit_pca(x, 0), std::invalid_argument);
    CHECK_THROWS_AS(fit_pca(x, 4), std::invalid_argument);
    CHECK_THROWS_AS(covariance(zeros(Shape{1, 3})), std::invalid_argument);
}

}
