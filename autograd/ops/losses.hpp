#pragma once
// Losses between a prediction (a Var) and a target (a Tensor of the same shape), each the MEAN over
// all elements (as Keras and PyTorch reduce by default), returned as a rank-0 Var.

#include "autograd/var.hpp"
#include "tensor/tensor.hpp"

namespace smallnet {

// mean((p - t)²)
Var mean_squared_error(const Var& prediction, const Tensor& target);
// mean(|p - t|); the gradient at p == t is 0.
Var mean_absolute_error(const Var& prediction, const Tensor& target);
// mean(-(t log p + (1 - t) log(1 - p))) on probabilities p, clamped to [1e-7, 1 - 1e-7] as Keras
// does (the gradient is 0 where the clamp is active).
Var binary_cross_entropy(const Var& probabilities, const Tensor& target);
// The same from logits x, in the stable form max(x, 0) - x t + log(1 + exp(-|x|)) (PyTorch's
// BCEWithLogitsLoss): finite for any x, gradient sigmoid(x) - t.
Var binary_cross_entropy_with_logits(const Var& logits, const Tensor& target);

}  // namespace smallnet
