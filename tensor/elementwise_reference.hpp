#pragma once
// Plain scalar references for the element-wise kernels in tensor/elementwise.hpp, computed in
// double; the tests hold every vectorised kernel against these.

#include <cstdint>

#include "tensor/elementwise.hpp"

namespace smallnet::reference {

double unary(UnaryOp op, double x, double parameter = 0.0);
// f'(x)
double unary_derivative(UnaryOp op, double x, double parameter = 0.0);
double binary(BinaryOp op, double a, double b);
double loss(LossKind kind, double prediction, double target);
double loss_derivative(LossKind kind, double prediction, double target);

}  // namespace smallnet::reference
