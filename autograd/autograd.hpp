#pragma once
// The autograd layer: Var, NoGrad, the differentiable ops and gradcheck.

#include "autograd/gradcheck.hpp"
#include "autograd/ops/arithmetic.hpp"
#include "autograd/ops/categorical_cross_entropy.hpp"
#include "autograd/ops/conv.hpp"
#include "autograd/ops/linear.hpp"
#include "autograd/ops/losses.hpp"
#include "autograd/ops/pooling.hpp"
#include "autograd/ops/reduce.hpp"
#include "autograd/ops/regularization.hpp"
#include "autograd/ops/softmax.hpp"
#include "autograd/ops/unary.hpp"
#include "autograd/ops/variational.hpp"
#include "autograd/ops/view.hpp"
#include "autograd/registry.hpp"
#include "autograd/var.hpp"
