#pragma once
// reshape and row slicing on Vars: views of the input's storage, whose gradients flow back unchanged.

#include <cstdint>
#include <initializer_list>

#include "autograd/var.hpp"

namespace smallnet {

Var reshape(const Var& x, const Shape& shape);
// [batch, ...] -> [batch, product of the rest] (Keras' Flatten).
Var flatten(const Var& x);
// Rows [begin, end) along axis 0.
Var rows(const Var& x, std::int64_t begin, std::int64_t end);

}  // namespace smallnet
