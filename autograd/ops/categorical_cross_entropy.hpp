#pragma once
// The classification losses: categorical cross-entropy against one-hot (or smoothed) targets, and the
// sparse form against integer labels, each from probabilities (Keras' clamped formulas) or from
// logits (a stable log-softmax). Each is the mean over the samples (rows of the last axis) of the
// per-sample loss, which sums over the classes; tensor/softmax.hpp gives the exact formulas.

#include "autograd/var.hpp"

namespace smallnet {

// prediction [..., classes]; labels [...] or [..., 1]: class indices stored as floats.
Var sparse_categorical_cross_entropy(const Var& probabilities, const Tensor& labels);
Var sparse_categorical_cross_entropy_with_logits(const Var& logits, const Tensor& labels);
// prediction and targets [..., classes].
Var categorical_cross_entropy(const Var& probabilities, const Tensor& targets);
Var categorical_cross_entropy_with_logits(const Var& logits, const Tensor& targets);

}  // namespace smallnet
