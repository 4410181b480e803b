#pragma once
// softmax over the last axis (each row of [rows, classes]) and the categorical cross-entropies of a
// classifier's output: the kernels behind the softmax activation and the classification losses.
// The rows are short (10 classes), so these are plain loops, split between threads only over many rows.

#include <cstdint>

#include "tensor/tensor.hpp"

namespace smallnet {

// out = exp(x - max) / Σ exp(x - max) along the last axis (the row maximum subtracted first, so no
// exp overflows). out may be x. An empty last axis is refused.
void softmax(const Tensor& x, Tensor& out);
// The same over `rows` rows of `classes` values, `row_stride` apart (a product's output rows).
void softmax_rows_in_place(float* data, std::int64_t rows, std::int64_t classes, std::int64_t row_stride);
// dx = y · (dy - Σ dy · y) along the last axis, from softmax's output y; added to dx when `accumulate`.
void softmax_backward(const Tensor& y, const Tensor& dy, Tensor& dx, bool accumulate);

// The class targets of a categorical loss.
enum class ClassTargets {
    labels,   // one integer class index per row, stored as floats: [rows] or [rows, 1]
    one_hot,  // a distribution over the classes per row (one-hot, or smoothed): the prediction's shape
};

// What the predictions are: probabilities (a softmax's output) or the logits before it.
enum class ClassScores { probabilities, logits };

// The categorical cross-entropy of each row, summed over the rows (divide by the row count for
// Keras' mean), with Keras' exact formulas:
//   probabilities, one_hot: p' = clip(p / Σ p, ε, 1 - ε);         l = -Σ_c t_c log p'_c
//   probabilities, labels:  p' = clip(p, ε, 1 - ε);                 l = -log(p'_y / Σ_c p'_c)
//   logits (both):          l = Σ_c t_c (logsumexp(z) - z_c), t one-hot of y for labels
// with ε = 1e-7 (Keras' epsilon). When `gradient` is given (the prediction's shape), it receives
// scale · dl/dprediction for each row. Labels must be integers in [0, classes): anything else throws
// std::invalid_argument naming the row and the value.
double categorical_cross_entropy_sum(ClassScores scores, ClassTargets targets, const Tensor& prediction,
                                     const Tensor& target, Tensor* gradient = nullptr, float scale = 1.0f);

// How many rows of the prediction are classified correctly: the largest score's class (the first
// such, as argmax) equals the label, or the target's largest value's class for one_hot.
std::int64_t count_correct_classes(ClassTargets targets, const Tensor& prediction, const Tensor& target);

}  // namespace smallnet
