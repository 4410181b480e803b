#pragma once
// The penalty of Keras' weight and activity regularizers on a Var.

#include "autograd/var.hpp"

namespace smallnet {

// scale · (l1 · Σ|x| + l2 · Σ x²) as a rank-0 Var: Keras' L1, L2 and L1L2 (no 1/2 on the L2 term).
// The gradient is scale · (l1 · sign(x) + 2 · l2 · x), with sign(0) = 0. `scale` is 1 for a weight and
// 1 / batch for an activity (Keras divides an activity penalty by the batch size).
Var regularization_penalty(const Var& x, float l1, float l2, float scale = 1.0f);

}  // namespace smallnet
