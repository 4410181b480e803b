#pragma once
// Measures of how well a model does: the accuracy metrics fit and evaluate report, per-row
// reconstruction error, PSNR for images, ROC-AUC and an operating threshold for anomaly scores.

#include <cstdint>
#include <span>
#include <vector>

#include <string>
#include <string_view>

#include "nn/losses.hpp"
#include "tensor/tensor.hpp"

namespace smallnet {

// A metric compile(..., {.metrics = {...}}) adds to the progress bar, History and history.csv (as
// "accuracy" and "val_accuracy"), computed on each training batch as the model predicts it there
// (Dropout on), averaged over the epoch as Keras does.
struct Metric {
    enum class Kind {
        binary_accuracy,              // the fraction of values on the right side of `threshold`: (p > threshold) == (t > 0.5)
        categorical_accuracy,         // the fraction of samples whose largest score is the target's largest value's class
        sparse_categorical_accuracy,  // the fraction of samples whose largest score is at the label
    };
    std::string name;  // as the user gave it: the column's name
    Kind kind = Kind::binary_accuracy;
    float threshold = 0.5f;  // binary_accuracy: 0.5 on probabilities, 0 on logits (bce_from_logits)
};

// Keras' names: "accuracy" (or "acc") picks the accuracy that fits the loss (binary for bce, sparse
// categorical for sparse_categorical_crossentropy, categorical for categorical_crossentropy) and is
// refused for a regression loss; "binary_accuracy", "categorical_accuracy" and
// "sparse_categorical_accuracy" name one. Throws std::invalid_argument otherwise.
Metric parse_metric(std::string_view name, Loss loss);
// The number of correct values (binary) or samples (categorical) of a batch, and how many were scored.
struct MetricCount {
    double correct = 0.0;
    std::int64_t scored = 0;
};
MetricCount count_metric(const Metric& metric, const Tensor& prediction, const Tensor& target);

// The mean squared error of each row of `x` against the same row of `reference` ([rows, columns] both).
std::vector<double> row_mse(const Tensor& x, const Tensor& reference);
// The mean squared error over all elements.
double mse(const Tensor& x, const Tensor& reference);
// mse of a set that comes batch by batch (predict_batches), as Keras' metrics.MeanSquaredError: each
// row's mean squared error, averaged over the rows. After update() with every batch of the set in
// order, result() is bitwise mse() of the whole set.
class MeanSquaredError {
public:
    // x and reference: [rows, columns] both.
    void update(const Tensor& x, const Tensor& reference);
    // std::invalid_argument before any row.
    double result() const;
    std::int64_t rows() const { return rows_; }

private:
    double row_mean_sum_ = 0.0;
    std::int64_t rows_ = 0;
};

// Peak signal-to-noise ratio in dB: 10 · log10(max_value² / mse); +infinity when mse is 0.
double psnr_from_mse(double mse, double max_value = 1.0);
// PSNR of x against reference over all elements.
double psnr(const Tensor& x, const Tensor& reference, double max_value = 1.0);
// The mean over rows (images) of each row's PSNR, the usual figure for a set of denoised images.
double mean_row_psnr(const Tensor& x, const Tensor& reference, double max_value = 1.0);

// The p-quantile of the standard normal distribution (scipy's norm.ppf), 0 < p < 1: the points of
// a VAE's latent manifold grid, as Keras' example spaces them. Acklam's rational approximation refined
// by one Halley step (error below 1e-12); throws std::invalid_argument outside (0, 1).
double standard_normal_quantile(double p);

// The area under the ROC curve of `scores` (higher = more likely positive) for the labels `positive`:
// the probability that a random positive scores above a random negative, ties counting one half
// (the Mann-Whitney U statistic with mid-ranks). Throws std::invalid_argument when the sizes differ,
// a score is NaN, or there is no positive or no negative.
double roc_auc(std::span<const double> scores, std::span<const std::uint8_t> positive);

struct OperatingPoint {
    double threshold = 0.0;            // flag a sample when its score > threshold
    double false_positive_rate = 0.0;  // the negatives flagged, as a fraction
    double true_positive_rate = 0.0;   // the positives flagged, as a fraction
};

// The lowest threshold that flags at most a fraction `max_false_positive_rate` of the negatives
// (a score equal to the threshold is not flagged, so ties never push the rate over).
OperatingPoint threshold_at_fpr(std::span<const double> scores, std::span<const std::uint8_t> positive,
                                double max_false_positive_rate);

}  // namespace smallnet
