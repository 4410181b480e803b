#pragma once
// The plain scalar GEMM the fast one is tested against: same contract as gemm(), sums in double.

#include <cstdint>

#include "tensor/matmul.hpp"

namespace smallnet::reference {

// The activation's textbook formula (tensor/activation.hpp), in double.
double activate(double x, Activation activation, double negative_slope);

void gemm(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
          const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc,
          const GemmEpilogue& epilogue = {});

}  // namespace smallnet::reference
