#pragma once
// Precision: the number format a matrix product multiplies in (MatmulOptions::precision, gemm()).
//
// bf16 is mixed precision, the standard recipe (as PyTorch's autocast): each operand element is
// rounded to bfloat16 (8 bits of mantissa, fp32's exponent range) to nearest even, the products of
// those are summed in fp32, and alpha, beta, the bias and the activation are applied in fp32 as for
// fp32. Nothing is stored in bf16 outside a product: the rounding happens while the GEMM packs its
// operand panels (tensor/matmul_bf16.cpp), so tensors, weights and gradients all stay fp32.

#include <string_view>

namespace smallnet {

enum class Precision {
    fp32,  // fp32 operands, fp32 sums: the default
    bf16,  // operands rounded to bf16, fp32 sums; needs AVX512_BF16, uses AMX where granted (bf16_instruction_set())
};

// "fp32", "bf16": the spelling parse_precision accepts.
std::string_view precision_name(Precision precision);
// Throws std::invalid_argument naming the accepted spellings.
Precision parse_precision(std::string_view name);

}  // namespace smallnet
