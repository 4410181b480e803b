#pragma once
// The plain scalar GEMM the fast one is tested against: same contract as gemm(), sums in double; in
// bf16 it rounds each operand element with round_to_bf16 first.

#include <cstdint>

#include "tensor/matmul.hpp"

namespace smallnet::reference {

// The activation's textbook formula (tensor/activation.hpp), in double.
double activate(double x, Activation activation, double negative_slope);

// x rounded to bfloat16 and widened back to fp32, bit for bit as vcvtne2ps2bf16 rounds: to nearest,
// ties to even; a value beyond bf16's largest becomes infinity; a NaN stays a NaN (made quiet, sign
// kept); an fp32 subnormal becomes a zero of its sign (the instruction treats them as zero).
float round_to_bf16(float x);

void gemm(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
          const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc,
          const GemmEpilogue& epilogue = {}, Precision precision = Precision::fp32);

}  // namespace smallnet::reference
