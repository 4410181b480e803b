#pragma once
// Loss: the reconstruction losses a model is compiled with, each the mean over all elements.

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

// Accepts Keras' names and short forms: mse, mean_squared_error, mae, mean_absolute_error, bce,
// binary_crossentropy, bce_from_logits; throws std::invalid_argument listing them otherwise.
Loss parse_loss(std::string_view name);
std::string_view loss_name(Loss loss);
// The loss of a batch, recorded in the graph.
Var compute_loss(Loss loss, const Var& prediction, const Tensor& target);
// The fused kernel that sums this loss (for evaluate, without a graph).
LossKind loss_kind(Loss loss);
// The loss of `prediction` against `target` (the same shape), the mean over all elements, without a
// graph (as keras.losses.* then a mean): to score any reconstruction, a PCA's too.
double mean_loss(Loss loss, const Tensor& prediction, const Tensor& target);

}  // namespace smallnet
