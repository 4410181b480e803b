#pragma once
// ElementwiseKernels: the table of element-wise, reduction and fused-update kernels compiled once per
// instruction set (tensor/arch/elementwise_impl.hpp), on raw pointers and element counts. Plain C++:
// no xsimd here, so the callers compile with baseline flags.
//
// Every kernel computes a partial vector (the last n % lanes elements) with the same vector code as a
// full one, through a zero-padded buffer, so an element's value never depends on where it sits.

#include <cstdint>

#include "tensor/elementwise.hpp"
#include "tensor/simd.hpp"

namespace smallnet::arch {

// Adam's per-step constants, worked out once per call in double (tensor/fused_updates.cpp).
struct AdamConstants {
    float beta1, one_minus_beta1;
    float beta2, one_minus_beta2;
    float step_size;             // lr / (1 - beta1^t)
    float inverse_correction2;   // 1 / (1 - beta2^t)
    float epsilon;
    float decay;                 // lr * weight_decay (AdamW), 0 for Adam
};

struct SgdConstants {
    float learning_rate;
    float momentum;         // 0: plain SGD, the velocity is not touched
    bool nesterov;
    float weight_decay;     // added to the gradient as wd * p
};

struct ElementwiseKernels {
    // y = f(x) over n elements; y may be x.
    void (*unary)(UnaryOp op, const float* x, float* y, std::int64_t n, float parameter);
    // dx (+)= dy * f'(x), f' read from x or y as tensor/elementwise.hpp says.
    void (*unary_backward)(UnaryOp op, const float* x, const float* y, const float* dy, float* dx, std::int64_t n,
                           float parameter, bool accumulate);
    // rows x cols outputs: out[r * cols + c] = a[r * a_row_stride + c * a_step] op b[...], where a step
    // of 0 repeats one value along the row (a broadcast dimension) and 1 walks it.
    void (*binary_rows)(BinaryOp op, const float* a, std::int64_t a_row_stride, std::int64_t a_step, const float* b,
                        std::int64_t b_row_stride, std::int64_t b_step, float* out, std::int64_t rows,
                        std::int64_t cols);

    // Sum of n floats: blocks of sum_block elements summed in float lanes, the block sums added in
    // order in double.
    double (*sum)(const float* x, std::int64_t n);
    // Largest of n >= 1 floats; NaN when any is NaN.
    float (*max)(const float* x, std::int64_t n);
    // Column reductions of a rows x cols matrix with row stride `stride`: out[c] (+)= scale * sum over
    // rows (blocks of column_block_rows rows in float lanes, block sums in double), or the column max.
    void (*column_sums)(const float* x, std::int64_t rows, std::int64_t cols, std::int64_t stride, double scale,
                        float* out, bool accumulate);
    void (*column_max)(const float* x, std::int64_t rows, std::int64_t cols, std::int64_t stride, float* out);
    bool (*all_finite)(const float* x, std::int64_t n);

    void (*axpy)(float alpha, const float* x, float* y, std::int64_t n);
    // One Adam step on gradient + more_gradient, or on gradient alone when more_gradient is null.
    void (*adam)(float* parameter, const float* gradient, const float* more_gradient, float* first_moment,
                 float* second_moment, std::int64_t n, const AdamConstants& constants);
    void (*sgd)(float* parameter, const float* gradient, float* velocity, std::int64_t n,
                const SgdConstants& constants);

    // Loss sum in the same blocked order as `sum`.
    double (*loss_sum)(LossKind kind, const float* prediction, const float* target, std::int64_t n);
    void (*loss_gradient)(LossKind kind, const float* prediction, const float* target, float scale, float* gradient,
                          std::int64_t n, bool accumulate);

    // The squared-error sum (loss_sum's order) and, in the same pass, its gradient through an output
    // activation whose derivative is a function of the output (not softplus).
    double (*squared_error_through_activation)(Activation activation, const float* output, const float* target,
                                               float scale, float* gradient, std::int64_t n, float negative_slope);

    // The binary cross-entropy sum from logits (loss_sum's binary_cross_entropy_with_logits, same order)
    // and, in the same pass, its gradient scale · (sigmoid(z) - t).
    double (*cross_entropy_of_logits)(const float* logits, const float* target, float scale, float* gradient, std::int64_t n);

    // `stream`: write out with streaming stores (see store_streaming in elementwise_common_impl.hpp).
    void (*convert_u8)(const std::uint8_t* in, std::int64_t n, float scale, float* out, bool stream);

    // Box-Muller on n pairs of uniforms, u1 in (0, 1] and u2 in [0, 1): with r = sqrt(-2 log u1[i]),
    // z0[i] = r cos(2 pi u2[i]) and z1[i] = r sin(2 pi u2[i]), two independent standard normals.
    void (*box_muller)(const float* u1, const float* u2, float* z0, float* z1, std::int64_t n);
};

// Elements (rows) summed in float lanes before the partial is added in double: few enough that a lane
// adds at most 64 floats (sse2: 1024 elements over 4 accumulators of 4 lanes; a column lane: 64 rows),
// so the float part loses at most a few units in the last place, and enough that the per-block fold
// costs nothing next to the memory traffic.
inline constexpr std::int64_t sum_block = 1024;
inline constexpr std::int64_t column_block_rows = 64;

namespace avx512 { extern const ElementwiseKernels elementwise_table; }
namespace avx2 { extern const ElementwiseKernels elementwise_table; }
namespace sse2 { extern const ElementwiseKernels elementwise_table; }

// The table for active_instruction_set(), and for a given set (tests).
const ElementwiseKernels& elementwise_kernels();
const ElementwiseKernels& elementwise_kernels(InstructionSet set);

}  // namespace smallnet::arch
