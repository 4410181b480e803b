#pragma once
// Loss: the reconstruction losses a model is compiled with, each the mean over all elements.

#include <cstdint>
#include <string_view>

#include "autograd/var.hpp"
#include "tensor/elementwise.hpp"

namespace smallnet {

enum class Loss {
    mean_squared_error,               // "mse"
    mean_absolute_error,              // "mae"
    binary_crossentropy,              // "binary_crossentropy" or "bce": on probabilities
    binary_crossentropy_from_logits,  // "bce_from_logits": on logits (no sigmoid on the last layer)
};

// How the per-element losses l(p, t) of a batch of B samples with F values each become the batch's
// loss:
//   mean:              L = 1/(B·F) · Σ_b Σ_f l(p_bf, t_bf)   (Keras' and PyTorch's default)
//   sum_over_features: L = 1/B     · Σ_b Σ_f l(p_bf, t_bf)   = F · mean: each sample's loss is the sum
//                      over its values, averaged over the batch, as in Keras' VAE example (there the
//                      reconstruction term must weigh all 784 pixels against the KL divergence)
enum class Reduction { mean, sum_over_features };
// The factor from the mean to `reduction` for samples of `values_per_sample` values.
double reduction_factor(Reduction reduction, std::int64_t values_per_sample);

// Accepts Keras' names and short forms: mse, mean_squared_error, mae, mean_absolute_error, bce,
// binary_crossentropy, bce_from_logits; throws std::invalid_argument listing them otherwise.
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
// The fused kernel that sums this loss (for evaluate, without a graph).
LossKind loss_kind(Loss loss);
// The loss of `prediction` against `target` (the same shape), the mean over all elements, without a
// graph (as keras.losses.* then a mean): to score any reconstruction, a PCA's too.
double mean_loss(Loss loss, const Tensor& prediction, const Tensor& target);

}  // namespace smallnet
