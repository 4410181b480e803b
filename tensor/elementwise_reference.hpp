#pragma once
// Plain scalar references for the element-wise kernels in tensor/elementwise.hpp, computed in
// double; the tests hold every vectorised kernel against these.

#include <cstdint>
#include <vector>

#include "tensor/elementwise.hpp"

namespace smallnet::reference {

double unary(UnaryOp op, double x, double parameter = 0.0);
// f'(x)
double unary_derivative(UnaryOp op, double x, double parameter = 0.0);
double binary(BinaryOp op, double a, double b);
double loss(LossKind kind, double prediction, double target);
double loss_derivative(LossKind kind, double prediction, double target);

// Whole-tensor forms, by plain index loops over the output (row-major), for tests.
// a op b with NumPy broadcasting.
std::vector<double> binary(BinaryOp op, const Tensor& a, const Tensor& b);
// `source` summed down to `target`, a shape that broadcasts to source's.
std::vector<double> sum_to(const Tensor& source, const Shape& target);
// Sum, mean or max over one axis (the output in the order of the remaining axes).
std::vector<double> sum(const Tensor& x, int axis);
std::vector<double> mean(const Tensor& x, int axis);
std::vector<double> max(const Tensor& x, int axis);
std::vector<double> transpose(const Tensor& x);
// One optimizer step on one value, the formulas of tensor/elementwise.hpp as written there.
void adam_step(double& parameter, double gradient, double& first_moment, double& second_moment, const AdamStep& step);
void sgd_step(double& parameter, double gradient, double& velocity, const SgdStep& step);

}  // namespace smallnet::reference
