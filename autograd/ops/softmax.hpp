#pragma once
// softmax over the last axis: a classifier's probabilities from its logits.

#include "autograd/var.hpp"

namespace smallnet {

// y = exp(x - max) / Σ exp(x - max) along the last axis; dx = y · (dy - Σ dy · y).
Var softmax(const Var& x);

}  // namespace smallnet
