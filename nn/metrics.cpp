#include "nn/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "tensor/softmax.hpp"

namespace smallnet {

namespace {

void check_same(const Tensor& x, const Tensor& reference, const char* what) {
    if (x.shape() != reference.shape()) throw_shape_error(what, x.shape(), reference.shape(), "shapes differ");
    if (x.rank() != 2) throw_shape_error(what, x.shape(), "must be [rows, columns]");
}

void check_labels(std::span<const double> scores, std::span<const std::uint8_t> positive, const char* what) {
    if (scores.size() != positive.size())
        throw std::invalid_argument(std::string(what) + ": " + std::to_string(scores.size()) + " scores but " +
                                    std::to_string(positive.size()) + " labels");
    for (double s : scores)
        if (std::isnan(s)) throw std::invalid_argument(std::string(what) + ": a score is NaN");
}

// Row i's mean squared error, in double.
double row_error(const Tensor& x, const Tensor& reference, std::int64_t i) {
    const std::int64_t columns = x.size(1);
    const float* a = x.data() + i * columns;
    const float* b = reference.data() + i * columns;
    double sum = 0.0;
    for (std::int64_t j = 0; j < columns; ++j) {
        const double d = static_cast<double>(a[j]) - b[j];
        sum += d * d;
    }
    return columns > 0 ? sum / static_cast<double>(columns) : 0.0;
}

}  // namespace

std::vector<double> row_mse(const Tensor& x, const Tensor& reference) {
    check_same(x, reference, "row_mse");
    std::vector<double> out(static_cast<std::size_t>(x.size(0)));
    for (std::int64_t i = 0; i < x.size(0); ++i) out[static_cast<std::size_t>(i)] = row_error(x, reference, i);
    return out;
}

void MeanSquaredError::update(const Tensor& x, const Tensor& reference) {
    check_same(x, reference, "MeanSquaredError::update");
    // Row by row, in order: a set given in batches sums as the whole set given at once.
    for (std::int64_t i = 0; i < x.size(0); ++i) row_mean_sum_ += row_error(x, reference, i);
    rows_ += x.size(0);
}

double MeanSquaredError::result() const {
    if (rows_ == 0) throw std::invalid_argument("MeanSquaredError: no rows");
    return row_mean_sum_ / static_cast<double>(rows_);
}

Metric parse_metric(std::string_view name, Loss loss) {
    Metric metric{std::string(name)};
    if (name == "accuracy" || name == "acc") {
        if (takes_labels(loss)) {
            metric.kind = Metric::Kind::sparse_categorical_accuracy;
        } else if (is_categorical(loss)) {
            metric.kind = Metric::Kind::categorical_accuracy;
        } else if (loss == Loss::binary_crossentropy || loss == Loss::binary_crossentropy_from_logits) {
            metric.kind = Metric::Kind::binary_accuracy;
        } else {
            throw std::invalid_argument("metric 'accuracy': the loss " + std::string(loss_name(loss)) +
                                        " predicts values, not classes (compile with a classification loss, or name "
                                        "binary_accuracy or categorical_accuracy)");
        }
    } else if (name == "binary_accuracy") {
        metric.kind = Metric::Kind::binary_accuracy;
    } else if (name == "categorical_accuracy") {
        metric.kind = Metric::Kind::categorical_accuracy;
    } else if (name == "sparse_categorical_accuracy") {
        metric.kind = Metric::Kind::sparse_categorical_accuracy;
    } else {
        throw std::invalid_argument("unknown metric '" + std::string(name) +
                                    "' (expected accuracy, binary_accuracy, categorical_accuracy or "
                                    "sparse_categorical_accuracy)");
    }
    if (loss == Loss::binary_crossentropy_from_logits) metric.threshold = 0.0f;
    return metric;
}

MetricCount count_metric(const Metric& metric, const Tensor& prediction, const Tensor& target) {
    switch (metric.kind) {
        case Metric::Kind::binary_accuracy: {
            if (prediction.shape() != target.shape())
                throw_shape_error("binary_accuracy", prediction.shape(), target.shape(),
                                  "the predictions and the targets must have one shape");
            std::int64_t correct = 0;
            for (std::int64_t i = 0, n = prediction.numel(); i < n; ++i)
                correct += (prediction.data()[i] > metric.threshold) == (target.data()[i] > 0.5f);
            return {static_cast<double>(correct), prediction.numel()};
        }
        case Metric::Kind::categorical_accuracy:
        case Metric::Kind::sparse_categorical_accuracy: {
            const ClassTargets targets = metric.kind == Metric::Kind::sparse_categorical_accuracy ? ClassTargets::labels
                                                                                                  : ClassTargets::one_hot;
            const Shape& shape = prediction.shape();
            const std::int64_t classes = shape.rank() > 0 ? shape[shape.rank() - 1] : 0;
            const std::int64_t rows = classes > 0 ? prediction.numel() / classes : 0;
            return {static_cast<double>(count_correct_classes(targets, prediction, target)), rows};
        }
    }
    return {};
}

double mse(const Tensor& x, const Tensor& reference) {
    check_same(x, reference, "mse");
    if (x.size(0) == 0) throw std::invalid_argument("mse: no rows");
    MeanSquaredError error;
    error.update(x, reference);
    return error.result();
}

double psnr_from_mse(double mse, double max_value) {
    if (!(mse >= 0.0)) throw std::invalid_argument("psnr: the mean squared error must be >= 0");
    if (mse == 0.0) return std::numeric_limits<double>::infinity();
    return 10.0 * std::log10(max_value * max_value / mse);
}

double psnr(const Tensor& x, const Tensor& reference, double max_value) {
    return psnr_from_mse(mse(x, reference), max_value);
}

double mean_row_psnr(const Tensor& x, const Tensor& reference, double max_value) {
    const std::vector<double> rows = row_mse(x, reference);
    if (rows.empty()) throw std::invalid_argument("mean_row_psnr: no rows");
    double sum = 0.0;
    for (double m : rows) sum += psnr_from_mse(m, max_value);
    return sum / static_cast<double>(rows.size());
}

double roc_auc(std::span<const double> scores, std::span<const std::uint8_t> positive) {
    check_labels(scores, positive, "roc_auc");
    const std::size_t n = scores.size();
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
    // Sum of the positives' ranks (1-based), tied scores sharing the mean of their ranks.
    double positive_rank_sum = 0.0;
    std::size_t positives = 0;
    for (std::size_t i = 0; i < n;) {
        std::size_t j = i;
        while (j < n && scores[order[j]] == scores[order[i]]) ++j;
        const double mid_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
        for (std::size_t k = i; k < j; ++k)
            if (positive[order[k]]) positive_rank_sum += mid_rank, ++positives;
        i = j;
    }
    const std::size_t negatives = n - positives;
    if (positives == 0 || negatives == 0)
        throw std::invalid_argument("roc_auc: needs at least one positive and one negative (got " +
                                    std::to_string(positives) + " and " + std::to_string(negatives) + ")");
    const double p = static_cast<double>(positives), q = static_cast<double>(negatives);
    return (positive_rank_sum - p * (p + 1) / 2) / (p * q);
}

OperatingPoint threshold_at_fpr(std::span<const double> scores, std::span<const std::uint8_t> positive,
                                double max_false_positive_rate) {
    check_labels(scores, positive, "threshold_at_fpr");
    if (!(max_false_positive_rate >= 0.0 && max_false_positive_rate <= 1.0))
        throw std::invalid_argument("threshold_at_fpr: the false-positive rate must be in [0, 1]");
    std::vector<double> negative_scores;
    std::size_t positives = 0;
    for (std::size_t i = 0; i < scores.size(); ++i) {
        if (positive[i]) ++positives;
        else negative_scores.push_back(scores[i]);
    }
    if (negative_scores.empty()) throw std::invalid_argument("threshold_at_fpr: no negatives");
    std::sort(negative_scores.begin(), negative_scores.end(), std::greater<>());
    const std::size_t q = negative_scores.size();
    // At most `allowed` negatives may score above the threshold: it is the score of the next one, so
    // negatives tied with it are not flagged either.
    const auto allowed = static_cast<std::size_t>(std::floor(max_false_positive_rate * static_cast<double>(q) + 1e-9));
    OperatingPoint point;
    point.threshold = allowed >= q ? -std::numeric_limits<double>::infinity() : negative_scores[allowed];
    std::size_t false_positives = 0, true_positives = 0;
    for (std::size_t i = 0; i < scores.size(); ++i)
        if (scores[i] > point.threshold) (positive[i] ? true_positives : false_positives)++;
    point.false_positive_rate = static_cast<double>(false_positives) / static_cast<double>(q);
    point.true_positive_rate = positives ? static_cast<double>(true_positives) / static_cast<double>(positives) : 0.0;
    return point;
}

double standard_normal_quantile(double p) {
    if (!(p > 0.0 && p < 1.0)) throw std::invalid_argument("standard_normal_quantile: p must be in (0, 1), got " + std::to_string(p));
    // Acklam's coefficients: a rational function in the central region, another in the tails.
    static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                   1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
    static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                   6.680131188771972e+01, -1.328068155288572e+01};
    static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                   -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
    static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                   3.754408661907416e+00};
    const double low = 0.02425;
    double x;
    if (p < low || p > 1.0 - low) {
        const double q = std::sqrt(-2.0 * std::log(p < low ? p : 1.0 - p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
        if (p > 1.0 - low) x = -x;
    } else {
        const double q = p - 0.5, r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
    }
    // One step of Halley's method on Φ(x) - p.
    const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
    const double u = e * std::sqrt(2.0 * 3.14159265358979323846) * std::exp(x * x / 2.0);
    return x - u / (1.0 + x * u / 2.0);
}

}  // namespace smallnet
