#pragma once
// The element-wise kernels of one instruction set, gathered into that set's table. Compiled only by
// tensor/arch/elementwise_<set>.cpp, which defines SMALLNET_ARCH and SMALLNET_ARCH_NAMESPACE; all the
// code sits in that set's namespace (see tensor/arch/README.md for why).

#include "tensor/arch/elementwise_math_impl.hpp"
#include "tensor/arch/elementwise_random_impl.hpp"
#include "tensor/arch/elementwise_reduce_impl.hpp"
#include "tensor/arch/elementwise_update_impl.hpp"

namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE {

extern const ElementwiseKernels elementwise_table;
const ElementwiseKernels elementwise_table = {
    .unary = unary,
    .unary_backward = unary_backward,
    .binary_rows = binary_rows,
    .sum = sum,
    .max = max,
    .column_sums = column_sums,
    .column_max = column_max,
    .all_finite = all_finite,
    .axpy = axpy,
    .adam = adam,
    .sgd = sgd,
    .loss_sum = loss_sum,
    .loss_gradient = loss_gradient,
    .squared_error_through_activation = squared_error_through_activation,
    .cross_entropy_of_logits = cross_entropy_of_logits,
    .convert_u8 = convert_u8,
    .box_muller = box_muller,
};

}  // namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE
