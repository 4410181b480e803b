#include <algorithm>
#include <cmath>
#include <limits>

#include "tests/support.hpp"
#include "nn/metrics.hpp"

using namespace smallnet;

TEST_SUITE("nn.metrics") {

TEST_CASE("ROC-AUC on hand cases, ties counting one half") {
    // scikit-learn's roc_auc_score example.
    CHECK(roc_auc(std::vector<double>{0.1, 0.4, 0.35, 0.8}, std::vector<std::uint8_t>{0, 0, 1, 1}) == doctest::Approx(0.75));
    // positives {2, 3} against negatives {1, 2}: 1 + 0.5 + 1 + 1 of 4 pairs.
    CHECK(roc_auc(std::vector<double>{1, 2, 2, 3}, std::vector<std::uint8_t>{0, 1, 0, 1}) == doctest::Approx(0.875));
    CHECK(roc_auc(std::vector<double>{5, 5, 5, 5}, std::vector<std::uint8_t>{1, 0, 1, 0}) == doctest::Approx(0.5));
    CHECK(roc_auc(std::vector<double>{1, 2, 3, 4}, std::vector<std::uint8_t>{0, 0, 1, 1}) == doctest::Approx(1.0));
    CHECK(roc_auc(std::vector<double>{1, 2, 3, 4}, std::vector<std::uint8_t>{1, 1, 0, 0}) == doctest::Approx(0.0));
}

TEST_CASE("ROC-AUC refuses what has no answer") {
    CHECK_THROWS_AS(roc_auc(std::vector<double>{1, 2}, std::vector<std::uint8_t>{1, 1}), std::invalid_argument);
    CHECK_THROWS_AS(roc_auc(std::vector<double>{1, 2}, std::vector<std::uint8_t>{0}), std::invalid_argument);
    CHECK_THROWS_AS(roc_auc(std::vector<double>{1, std::nan("")}, std::vector<std::uint8_t>{0, 1}), std::invalid_argument);
}

TEST_CASE("the threshold at a false-positive rate flags at most that fraction of the negatives") {
    std::vector<double> scores;
    std::vector<std::uint8_t> positive;
    for (int i = 1; i <= 100; ++i) scores.push_back(i), positive.push_back(0);  // negatives 1..100
    for (double s : {50.5, 96.5, 99.5, 200.0}) scores.push_back(s), positive.push_back(1);
    const OperatingPoint p = threshold_at_fpr(scores, positive, 0.05);
    CHECK(p.threshold == doctest::Approx(95.0));  // 96..100 lie above it: 5 of 100
    CHECK(p.false_positive_rate == doctest::Approx(0.05));
    CHECK(p.true_positive_rate == doctest::Approx(0.75));
    // Ties at the cut are not flagged, so the rate is never exceeded.
    const OperatingPoint tied = threshold_at_fpr(std::vector<double>{1, 1, 1, 1, 2}, std::vector<std::uint8_t>{0, 0, 0, 0, 1}, 0.5);
    CHECK(tied.false_positive_rate == 0.0);
    CHECK(tied.true_positive_rate == 1.0);
    CHECK(threshold_at_fpr(scores, positive, 1.0).false_positive_rate == 1.0);
    CHECK_THROWS_AS(threshold_at_fpr(scores, positive, 1.5), std::invalid_argument);
}

TEST_CASE("PSNR and per-row MSE on hand cases") {
    CHECK(psnr_from_mse(0.01) == doctest::Approx(20.0));
    CHECK(psnr_from_mse(0.01, 255.0) == doctest::Approx(20.0 + 20 * std::log10(255.0)));
    CHECK(psnr_from_mse(0.0) == std::numeric_limits<double>::infinity());
    const Tensor clean = from_buffer(std::vector<float>{0, 0, 1, 1}, Shape{2, 2});
    const Tensor noisy = from_buffer(std::vector<float>{0.1f, 0.1f, 1, 0.8f}, Shape{2, 2});
    const std::vector<double> rows = row_mse(noisy, clean);
    CHECK(rows[0] == doctest::Approx(0.01));
    CHECK(rows[1] == doctest::Approx(0.02));
    CHECK(mse(noisy, clean) == doctest::Approx(0.015));
    CHECK(psnr(noisy, clean) == doctest::Approx(10 * std::log10(1 / 0.015)));
    CHECK(mean_row_psnr(noisy, clean) == doctest::Approx((20.0 + 10 * std::log10(50.0)) / 2));
    CHECK_THROWS_AS(row_mse(noisy, zeros(Shape{2, 3})), std::invalid_argument);
}

TEST_CASE("MeanSquaredError over a set's batches is bitwise mse of the whole set") {
    const Tensor x = testing::random_tensor(Shape{37, 13}, 1), reference = testing::random_tensor(Shape{37, 13}, 2);
    MeanSquaredError error;
    CHECK_THROWS_WITH_AS(error.result(), "MeanSquaredError: no rows", std::invalid_argument);
    for (std::int64_t begin = 0; begin < 37; begin += 10) error.update(x.rows(begin, std::min<std::int64_t>(37, begin + 10)),
                                                                      reference.rows(begin, std::min<std::int64_t>(37, begin + 10)));
    CHECK(error.rows() == 37);
    CHECK(error.result() == mse(x, reference));
    CHECK(mse(x, reference) == doctest::Approx(8.0 / 3).epsilon(0.1));  // E(a - b)² = 2 · 16/12 for uniform in [-2, 2]
    CHECK_THROWS_AS(error.update(x, zeros(Shape{37, 12})), std::invalid_argument);
}

}
