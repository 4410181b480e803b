#pragma once
// Element-wise kernels (unary, binary with NumPy broadcasting, scalar), their gradients, reductions,
// transpose, the fused optimizer updates and the fused loss kernels, vectorised with xsimd and run in
// parallel with oneTBB only where the size pays for the threads.
//
// Every result is bitwise independent of the thread count and of an element's position in the
// tensor (tails use the same vector code as the body), and reductions sum in a fixed order.
// "into" forms write a caller-owned output whose shape must already be right; `out` may alias an
// input for element-wise forms. The forms that return a Tensor allocate it.

#include <cstdint>

#include "tensor/activation.hpp"
#include "tensor/tensor.hpp"

namespace smallnet {

// ---- unary --------------------------------------------------------------------------------------
enum class UnaryOp {
    relu, leaky_relu, sigmoid, tanh, softplus,  // the activations, as in tensor/activation.hpp
    exp, log, neg, abs, sqrt, square,
};

// `parameter` is the negative slope of leaky_relu and is ignored by the others.
void unary(UnaryOp op, const Tensor& x, Tensor& out, float parameter = 0.0f);
Tensor unary(UnaryOp op, const Tensor& x, float parameter = 0.0f);
// The activation's function (linear copies).
void activate(Activation activation, const Tensor& x, Tensor& out, float negative_slope = 0.3f);

// dx = dy * f'(x), or dx += that when `accumulate`. `y` is f(x) as computed by the forward pass:
// sigmoid, tanh, exp and sqrt read the derivative from y; the others from x.
// Derivatives at kinks: relu'(0) = 0, leaky_relu'(0) = slope, abs'(0) = 0.
void unary_backward(UnaryOp op, const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx, bool accumulate,
                    float parameter = 0.0f);

Tensor relu(const Tensor& x);
Tensor leaky_relu(const Tensor& x, float negative_slope = 0.3f);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor softplus(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor neg(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor square(const Tensor& x);

// ---- binary, with NumPy broadcasting -------------------------------------------------------------
enum class BinaryOp { add, sub, mul, div, maximum, minimum };

// The shape NumPy broadcasting gives `a op b`; throws naming the op and both shapes when they do not fit.
Shape broadcast_shape(const Shape& a, const Shape& b, const char* op_name);
void binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out);
Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b);
// a op scalar, element-wise.
void binary(BinaryOp op, const Tensor& a, float scalar, Tensor& out);
Tensor binary(BinaryOp op, const Tensor& a, float scalar);

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, float s);
Tensor operator-(const Tensor& a, float s);
Tensor operator*(const Tensor& a, float s);
Tensor operator/(const Tensor& a, float s);
Tensor operator*(float s, const Tensor& a);
Tensor operator-(const Tensor& a);

// Sums `source` down to out.shape(), the shape of an input that was broadcast to source.shape(): the
// one routine every broadcasting op's backward uses. out = sum, or out += sum when `accumulate`.
void sum_to(const Tensor& source, Tensor& out, bool accumulate);

// ---- reductions (fixed summation order, partial sums in double) ----------------------------------
Tensor sum(const Tensor& x);                                    // rank 0
Tensor mean(const Tensor& x);                                   // rank 0; NaN for an empty tensor
Tensor max(const Tensor& x);                                    // rank 0; throws for an empty tensor
Tensor sum(const Tensor& x, int axis, bool keepdims = false);
Tensor mean(const Tensor& x, int axis, bool keepdims = false);
Tensor max(const Tensor& x, int axis, bool keepdims = false);
void sum(const Tensor& x, int axis, Tensor& out);               // out shaped as keepdims=false or true
bool all_finite(const Tensor& x);                               // no NaN or infinity

// ---- layout ---------------------------------------------------------------------------------------
Tensor transpose(const Tensor& x);                              // rank 2: [m, n] -> [n, m]
void transpose(const Tensor& x, Tensor& out);

// ---- fused updates for optimizers ----------------------------------------------------------------
void axpy(float alpha, const Tensor& x, Tensor& y);             // y += alpha * x

// One Adam (or AdamW) step on a parameter, its gradient and its two moment buffers, in one pass:
// m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g²;
// p -= lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + epsilon)   [Keras' form of epsilon]
// and, for AdamW, first p -= lr * weight_decay * p (decoupled decay).
// Subnormal values count as zero in the optimizer steps (tensor/flush_to_zero.hpp says why).
struct AdamStep {
    float learning_rate = 1e-3f;
    float beta1 = 0.9f;
    float beta2 = 0.999f;
    float epsilon = 1e-7f;
    float weight_decay = 0.0f;
    std::int64_t step = 1;  // t, counted from 1
};
void adam_update(Tensor& parameter, const Tensor& gradient, Tensor& first_moment, Tensor& second_moment,
                 const AdamStep& step);
// The same step on the gradient `gradient` + `more_gradient` (fit's two row blocks), added in the same
// pass; the sum is not stored.
void adam_update(Tensor& parameter, const Tensor& gradient, const Tensor& more_gradient, Tensor& first_moment,
                 Tensor& second_moment, const AdamStep& step);

// One SGD step, as Keras: with momentum, v = momentum v - lr g, then p += v (Nesterov:
// p += momentum v - lr g); without momentum (0), p -= lr g. weight_decay adds wd * p to g first.
// Subnormals count as zero, as in Adam.
struct SgdStep {
    float learning_rate = 1e-2f;
    float momentum = 0.0f;
    bool nesterov = false;
    float weight_decay = 0.0f;
};
void sgd_update(Tensor& parameter, const Tensor& gradient, Tensor& velocity, const SgdStep& step);

// ---- fused losses (sums; the caller divides by the element count for a mean) ---------------------
enum class LossKind {
    squared_error,        // (p - t)²
    absolute_error,       // |p - t|
    binary_cross_entropy, // -(t log p + (1 - t) log(1 - p)), p clamped to [1e-7, 1 - 1e-7] as Keras
    binary_cross_entropy_with_logits,  // max(x, 0) - x t + log(1 + exp(-|x|)), x the logit
};
// Sum over all elements of the loss between `prediction` and `target` (same shape), in double.
double loss_sum(LossKind kind, const Tensor& prediction, const Tensor& target);
// d(scale * loss_sum)/d prediction, written (or added, when `accumulate`) to `gradient`.
// Gradients at kinks: absolute_error'(0) = 0; binary_cross_entropy's is 0 where p was clamped.
void loss_gradient(LossKind kind, const Tensor& prediction, const Tensor& target, float scale, Tensor& gradient,
                   bool accumulate);
// A model's last layer and a squared-error loss in one pass over its output y = activation(z): returns
// the sum of (y - t)² (loss_sum's value) and writes dz = scale · d(sum)/dz to `preactivation_gradient`,
// so the backward needs no separate loss-gradient and activation-derivative passes. The activation must
// have a derivative that is a function of y: linear, relu, leaky_relu, sigmoid or tanh (not softplus).
double squared_error_through_activation(Activation activation, const Tensor& output, const Tensor& target, float scale,
                                        Tensor& preactivation_gradient, float negative_slope = 0.3f);
// The binary cross-entropy of sigmoid(logits) against target, summed (loss_sum's value for
// binary_cross_entropy_with_logits), and in the same pass its gradient scale · (sigmoid(logits) -
// target) written to `gradient`: a loss op can hold its backward ready from the forward pass.
double cross_entropy_of_logits(const Tensor& logits, const Tensor& target, float scale, Tensor& gradient);

// ---- data ---------------------------------------------------------------------------------------
// out[i] = scale * in[i]: a batch of uint8 images to floats (scale 1/255) without a float copy of the set.
void convert_u8(const std::uint8_t* in, std::int64_t count, float scale, float* out);
// Who reads a gathered batch first, which decides how convert_u8_rows stores it.
//   other_threads: a batch gathered in the background for the next step. Written with streaming
//     stores: the buffer is usually the previous batch's, which the GEMMs read on every thread, and
//     taking its lines back from them one by one made the gather 1.5 times slower in fit on 2 threads
//     (125 against 80 us per MNIST batch, Zen 5).
//   gathering_thread: fit's row blocks, each of which gathers its rows just before its first product
//     reads them on the same core. Plain stores leave them in that core's cache: streamed, they went to
//     memory and came back from it, and an epoch took 3% longer in fp32 and 5-7% in bf16 (Intel Xeon
//     with AMX, 2 threads, alternated in one process).
enum class BatchReader { other_threads, gathering_thread };

// Row i of out = scale * row indices[i] of the uint8 matrix at `rows` (row_bytes bytes per row, as many
// floats per output row; the caller checks the indices): a shuffled batch, stored for `reader`.
void convert_u8_rows(const std::uint8_t* rows, std::int64_t row_bytes, const std::int64_t* indices, std::int64_t count,
                     float scale, float* out, BatchReader reader = BatchReader::other_threads);
// Asks the memory system for every cache line of [data, data + bytes), the last byte's too: into L1
// when `soon` (read within a few rows), else into L2 (read a step or more later).
void prefetch_bytes(const std::uint8_t* data, std::int64_t bytes, bool soon);

}  // namespace smallnet
