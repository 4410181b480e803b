#pragma once
// sum and mean on Vars, over every element (a rank-0 result) or along one axis.

#include "autograd/var.hpp"

namespace smallnet {

Var sum(const Var& x);
Var mean(const Var& x);
Var sum(const Var& x, int axis, bool keepdims = false);
Var mean(const Var& x, int axis, bool keepdims = false);

}  // namespace smallnet
