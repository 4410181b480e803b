// Fused one-pass kernels on tensors: axpy, the Adam/AdamW and SGD steps, the loss sums and their
// gradients, and the uint8 conversion. Shape checks here, arithmetic in tensor/arch.

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "tensor/arch/elementwise_kernels.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/elementwise_parallel.hpp"
#include "tensor/flush_to_zero.hpp"

namespace smallnet {

namespace {

void require_defined(const char* op, const Tensor& t, const char* role) {
    if (!t.defined()) throw std::invalid_argument(std::string(op) + ": the " + role + " tensor is undefined");
}

void require_same_shape(const char* op, const Tensor& a, const Tensor& b, const char* what) {
    if (a.shape() != b.shape()) throw_shape_error(op, a.shape(), b.shape(), what);
}

std::int64_t loss_cost(LossKind kind) {
    return kind == LossKind::binary_cross_entropy || kind == LossKind::binary_cross_entropy_with_logits
               ? detail::cost_transcendental
               : detail::cost_memory_bound;
}

void check_loss_operands(const char* op, const Tensor& prediction, const Tensor& target) {
    require_defined(op, prediction, "prediction");
    require_defined(op, target, "target");
    require_same_shape(op, prediction, target, "prediction and target shapes differ");
}

}  // namespace

void axpy(float alpha, const Tensor& x, Tensor& y) {
    require_defined("axpy", x, "x");
    require_defined("axpy", y, "y");
    require_same_shape("axpy", x, y, "x and y shapes differ");
    const auto& kernels = arch::elementwise_kernels();
    const float* xs = x.data();
    float* ys = y.data();
    detail::for_each_piece(y.numel(), detail::cost_memory_bound, [&](std::int64_t begin, std::int64_t end) {
        kernels.axpy(alpha, xs + begin, ys + begin, end - begin);
    });
}

namespace {
// `more_gradient`: null, or a second gradient the step runs on the sum with.
void adam_pass(Tensor& parameter, const Tensor& gradient, const Tensor* more_gradient, Tensor& first_moment,
               Tensor& second_moment, const AdamStep& step) {
    const char* op = step.weight_decay != 0.0f ? "adamw_update" : "adam_update";
    if (more_gradient) {
        require_defined(op, *more_gradient, "second gradient");
        require_same_shape(op, gradient, *more_gradient, "the two gradients' shapes differ");
    }
    require_defined(op, parameter, "parameter");
    require_defined(op, gradient, "gradient");
    require_defined(op, first_moment, "first moment");
    require_defined(op, second_moment, "second moment");
    require_same_shape(op, parameter, gradient, "parameter and gradient shapes differ");
    require_same_shape(op, parameter, first_moment, "parameter and first moment shapes differ");
    require_same_shape(op, parameter, second_moment, "parameter and second moment shapes differ");
    if (step.step < 1) throw std::invalid_argument(std::string(op) + ": step " + std::to_string(step.step) +
                                                   " is not counted from 1");
    // The bias corrections in double: beta2^t for t in the thousands is where float would drift.
    const double correction1 = 1.0 - std::pow(static_cast<double>(step.beta1), static_cast<double>(step.step));
    const double correction2 = 1.0 - std::pow(static_cast<double>(step.beta2), static_cast<double>(step.step));
    const arch::AdamConstants constants{
        .beta1 = step.beta1,
        .one_minus_beta1 = static_cast<float>(1.0 - static_cast<double>(step.beta1)),
        .beta2 = step.beta2,
        .one_minus_beta2 = static_cast<float>(1.0 - static_cast<double>(step.beta2)),
        .step_size = static_cast<float>(static_cast<double>(step.learning_rate) / correction1),
        .inverse_correction2 = static_cast<float>(1.0 / correction2),
        .epsilon = step.epsilon,
        .decay = static_cast<float>(static_cast<double>(step.learning_rate) * static_cast<double>(step.weight_decay)),
    };
    const auto& kernels = arch::elementwise_kernels();
    float* p = parameter.data();
    const float* g = gradient.data();
    float* m = first_moment.data();
    float* v = second_moment.data();
    // Seven streams per element (parameter, gradient and two moments read; three written), eight with a
    // second gradient: twice a one-stream pass's work, so a VAE's 100K parameters already pay for the
    // second thread. The second gradient is added in registers; the sum is never stored.
    const float* more = more_gradient ? more_gradient->data() : nullptr;
    detail::for_each_piece(parameter.numel(), detail::cost_adam, [&](std::int64_t begin, std::int64_t end) {
        const detail::FlushToZero subnormal_moments_are_zero;
        kernels.adam(p + begin, g + begin, more ? more + begin : nullptr, m + begin, v + begin, end - begin, constants);
    });
}
}  // namespace

void adam_update(Tensor& parameter, const Tensor& gradient, Tensor& first_moment, Tensor& second_moment,
                 const AdamStep& step) {
    adam_pass(parameter, gradient, nullptr, first_moment, second_moment, step);
}

void adam_update(Tensor& parameter, const Tensor& gradient, const Tensor& more_gradient, Tensor& first_moment,
                 Tensor& second_moment, const AdamStep& step) {
    adam_pass(parameter, gradient, &more_gradient, first_moment, second_moment, step);
}

void sgd_update(Tensor& parameter, const Tensor& gradient, Tensor& velocity, const SgdStep& step) {
    require_defined("sgd_update", parameter, "parameter");
    require_defined("sgd_update", gradient, "gradient");
    require_same_shape("sgd_update", parameter, gradient, "parameter and gradient shapes differ");
    const bool momentum = step.momentum != 0.0f;
    if (momentum) {
        require_defined("sgd_update", velocity, "velocity");
        require_same_shape("sgd_update", parameter, velocity, "parameter and velocity shapes differ");
    }
    const arch::SgdConstants constants{.learning_rate = step.learning_rate,
                                       .momentum = step.momentum,
                                       .nesterov = step.nesterov,
                                       .weight_decay = step.weight_decay};
    const auto& kernels = arch::elementwise_kernels();
    float* p = parameter.data();
    const float* g = gradient.data();
    float* v = momentum ? velocity.data() : nullptr;
    detail::for_each_piece(parameter.numel(), detail::cost_memory_bound, [&](std::int64_t begin, std::int64_t end) {
        const detail::FlushToZero subnormal_velocities_are_zero;
        kernels.sgd(p + begin, g + begin, v ? v + begin : nullptr, end - begin, constants);
    });
}

double loss_sum(LossKind kind, const Tensor& prediction, const Tensor& target) {
    check_loss_operands("loss_sum", prediction, target);
    const auto& kernels = arch::elementwise_kernels();
    const float* p = prediction.data();
    const float* t = target.data();
    return detail::ordered_sum(prediction.numel(), loss_cost(kind), [&](std::int64_t begin, std::int64_t end) {
        return kernels.loss_sum(kind, p + begin, t + begin, end - begin);
    });
}

void loss_gradient(LossKind kind, const Tensor& prediction, const Tensor& target, float scale, Tensor& gradient,
                   bool accumulate) {
    check_loss_operands("loss_gradient", prediction, target);
    require_defined("loss_gradient", gradient, "gradient");
    require_same_shape("loss_gradient", prediction, gradient, "prediction and gradient shapes differ");
    const auto& kernels = arch::elementwise_kernels();
    const float* p = prediction.data();
    const float* t = target.data();
    float* g = gradient.data();
    detail::for_each_piece(prediction.numel(), loss_cost(kind), [&](std::int64_t begin, std::int64_t end) {
        kernels.loss_gradient(kind, p + begin, t + begin, scale, g + begin, end - begin, accumulate);
    });
}

double squared_error_through_activation(Activation activation, const Tensor& output, const Tensor& target, float scale,
                                        Tensor& preactivation_gradient, float negative_slope) {
    check_loss_operands("squared_error_through_activation", output, target);
    require_defined("squared_error_through_activation", preactivation_gradient, "gradient");
    require_same_shape("squared_error_through_activation", output, preactivation_gradient,
                       "output and gradient shapes differ");
    if (activation == Activation::softplus)
        throw std::invalid_argument("squared_error_through_activation: softplus' derivative needs the pre-activation");
    if (activation == Activation::softmax)
        throw std::invalid_argument("squared_error_through_activation: softmax is not element-wise");
    const auto& kernels = arch::elementwise_kernels();
    const float* y = output.data();
    const float* t = target.data();
    float* g = preactivation_gradient.data();
    return detail::ordered_sum(output.numel(), loss_cost(LossKind::squared_error), [&](std::int64_t begin, std::int64_t end) {
        return kernels.squared_error_through_activation(activation, y + begin, t + begin, scale, g + begin, end - begin,
                                                        negative_slope);
    });
}

double cross_entropy_of_logits(const Tensor& logits, const Tensor& target, float scale, Tensor& gradient) {
    check_loss_operands("cross_entropy_of_logits", logits, target);
    require_defined("cross_entropy_of_logits", gradient, "gradient");
    require_same_shape("cross_entropy_of_logits", logits, gradient, "logits and gradient shapes differ");
    const auto& kernels = arch::elementwise_kernels();
    const float* z = logits.data();
    const float* t = target.data();
    float* g = gradient.data();
    return detail::ordered_sum(logits.numel(), loss_cost(LossKind::binary_cross_entropy_with_logits),
                               [&](std::int64_t begin, std::int64_t end) {
                                   return kernels.cross_entropy_of_logits(z + begin, t + begin, scale, g + begin, end - begin);
                               });
}

void convert_u8(const std::uint8_t* in, std::int64_t count, float scale, float* out) {
    if (count < 0) throw std::invalid_argument("convert_u8: negative count " + std::to_string(count));
    const auto& kernels = arch::elementwise_kernels();
    detail::for_each_piece(count, detail::cost_memory_bound, [&](std::int64_t begin, std::int64_t end) {
        kernels.convert_u8(in + begin, end - begin, scale, out + begin, false);
    });
}

void prefetch_bytes(const std::uint8_t* data, std::int64_t bytes, bool soon) {
    constexpr std::int64_t cache_line = 64;
    const auto fetch = [soon](const std::uint8_t* at) {
        if (soon) __builtin_prefetch(at, 0, 3);
        else __builtin_prefetch(at, 0, 2);  // the locality must be a constant
    };
    for (std::int64_t offset = 0; offset < bytes; offset += cache_line) fetch(data + offset);
    if (bytes > 0) fetch(data + bytes - 1);
}

void convert_u8_rows(const std::uint8_t* rows, std::int64_t row_bytes, const std::int64_t* indices, std::int64_t count,
                     float scale, float* out, BatchReader reader) {
    if (count < 0 || row_bytes < 0)
        throw std::invalid_argument("convert_u8_rows: negative count " + std::to_string(count) + " or row size " +
                                    std::to_string(row_bytes));
    const auto& kernels = arch::elementwise_kernels();
    // Rows scattered over a data set come from memory at the latency of each line: two threads fetch
    // twice as many at once. Split by rows, as for_each_piece splits elements.
    const std::int64_t grain = std::max<std::int64_t>(detail::parallel_work_threshold / std::max<std::int64_t>(row_bytes, 1), 1);
    // While a row is converted, the lines of the row about 6 KB on (7 MNIST rows) are asked for, so a
    // few rows' misses are always in flight and none waits alone. Asking for all of a block's rows in
    // one burst a step ahead stalled the core that asked (13 us for 128 rows in a quiet hour, up to 60
    // in a busy one: the requests queue behind each other) and the rows were not all there by the
    // gather. Against that burst, in alternated pairs of mnist_training runs (Zen 5), the epoch was
    // faster in a busy hour (3.5% in fp32 and 5% in bf16 on 2 threads, 7% on 1; every pair) and level
    // in a quiet one.
    constexpr std::int64_t distance_bytes = 6 * 1024;
    const std::int64_t ahead = std::max<std::int64_t>(distance_bytes / std::max<std::int64_t>(row_bytes, 1), 1);
    const bool stream = reader == BatchReader::other_threads;
    detail::parallel_for(0, count, grain, [&](std::int64_t first, std::int64_t last) {
        for (std::int64_t i = first; i < last; ++i) {
            if (i + ahead < last) prefetch_bytes(rows + indices[i + ahead] * row_bytes, row_bytes, true);
            kernels.convert_u8(rows + indices[i] * row_bytes, row_bytes, scale, out + i * row_bytes, stream);
        }
    });
}

}  // namespace smallnet
