#pragma once
// Loss: the losses a model is compiled with: the reconstruction losses, each the mean over all
// elements, and the classification losses, each the mean over the samples of a sum over the classes.

#include <cstdint>
#include <functional>
#include <string_view>

#include "autograd/var.hpp"
#include "tensor/elementwise.hpp"

namespace smallnet {

// A loss of the user's for compile, as Keras accepts a function: the batch's prediction (a Var of the
// model's output) and its target, to one number (a scalar Var, usually a mean over the batch) that
// fit minimises and reports; evaluate reports its mean over the batches, weighted by their sizes.
//   model.compile(Adam(), [](const Var& y, const Tensor& t) { return mean(abs(y - Var(t))); });
using CustomLoss = std::function<Var(const Var& prediction, const Tensor& target)>;

enum class Loss {
    mean_squared_error,               // "mse"
    mean_absolute_error,              // "mae"
    binary_crossentropy,              // "binary_crossentropy" or "bce": on probabilities
    binary_crossentropy_from_logits,  // "bce_from_logits": on logits (no sigmoid on the last layer)
    // Classification (tensor/softmax.hpp has the formulas): targets are integer labels (sparse) or one
    // value per class (one-hot); predictions are probabilities (a softmax's output: taken from its
    // logits when the model ends in softmax, as Keras does) or logits (no softmax on the last layer).
    sparse_categorical_crossentropy,              // "sparse_categorical_crossentropy"
    sparse_categorical_crossentropy_from_logits,  // "sparse_categorical_crossentropy_from_logits"
    categorical_crossentropy,                     // "categorical_crossentropy"
    categorical_crossentropy_from_logits,         // "categorical_crossentropy_from_logits"
};

// Whether `loss` is a classification loss: its per-sample loss sums over the classes, so it is
// averaged over the samples only (Keras' reduction for these losses), whatever the Reduction says.
bool is_categorical(Loss loss);
// Whether its targets are labels: one integer class index per sample (stored as floats, or as the
// bytes of a Data made from labels), [..., 1] where the prediction is [..., classes].
bool takes_labels(Loss loss);
// The shape of a target sample for predictions of `output_shape`: the same, or the last axis 1 for labels.
Shape target_shape(Loss loss, const Shape& output_shape);

// How the per-element losses l(p, t) of a batch of B samples with F values each become the batch's
// loss:
//   mean:              L = 1/(B·F) · Σ_b Σ_f l(p_bf, t_bf)   (Keras' and PyTorch's default; for the
//                      classification losses, L = 1/B · Σ_b l_b, l_b the sample's loss over its classes)
//   sum_over_features: L = 1/B     · Σ_b Σ_f l(p_bf, t_bf)   = F · mean: each sample's loss is the sum
//                      over its values, averaged over the batch, as in Keras' VAE example (there the
//                      reconstruction term must weigh all 784 pixels against the KL divergence)
enum class Reduction { mean, sum_over_features };
// The factor from the mean to `reduction` for samples of `values_per_sample` values.
double reduction_factor(Reduction reduction, std::int64_t values_per_sample);
// The factor for `loss` with targets of `values_per_sample`: 1 for the classification losses.
double reduction_factor(Reduction reduction, Loss loss, std::int64_t values_per_sample);

// Accepts Keras' names and short forms: mse, mean_squared_error, mae, mean_absolute_error, bce,
// binary_crossentropy, bce_from_logits, sparse_categorical_crossentropy[_from_logits],
// categorical_crossentropy[_from_logits]; throws std::invalid_argument listing them otherwise.
Loss parse_loss(std::string_view name);
std::string_view loss_name(Loss loss);
// The loss of a batch, recorded in the graph.
Var compute_loss(Loss loss, const Var& prediction, const Tensor& target);
// The binary cross-entropy of sigmoid(logits) against target, computed from the logits in one pass
// (max(z, 0) - z t + log(1 + exp(-|z|)), gradient sigmoid(z) - t): how Keras computes "bce" when
// the last layer's activation is a sigmoid (TensorFlow's sigmoid_cross_entropy_with_logits), so
// Dense and Conv2D with a sigmoid take this route in fit. It differs from the clamped form only where
// sigmoid(z) is within 1e-7 of 0 or 1.
Var cross_entropy_of_sigmoid(const Var& logits, const Tensor& target);
// The fused kernel that sums this loss (for evaluate, without a graph); not for the classification
// losses (see loss_total).
LossKind loss_kind(Loss loss);
// The loss of a batch summed so that dividing by loss_terms(...) gives its mean: the element sum for
// the reconstruction losses, the sum of the per-sample losses for the classification ones. Without a
// graph; classification losses on probabilities use Keras' clamped formulas.
double loss_total(Loss loss, const Tensor& prediction, const Tensor& target);
std::int64_t loss_terms(Loss loss, const Tensor& prediction);
// The loss of `prediction` against `target` (the same shape), the mean over all elements, without a
// graph (as keras.losses.* then a mean): to score any reconstruction, a PCA's too.
double mean_loss(Loss loss, const Tensor& prediction, const Tensor& target);

}  // namespace smallnet
