#include "nn/regularizers.hpp"

#include "autograd/ops/regularization.hpp"

namespace smallnet {

void add_weight_penalties(const ForwardContext& context, const Var& kernel, const Regularizer& kernel_regularizer,
                          const Var& bias, const Regularizer& bias_regularizer) {
    if (!context.loss_terms) return;
    if (kernel_regularizer.active() && kernel.defined())
        context.add_loss("kernel_regularization", regularization_penalty(kernel, kernel_regularizer.l1, kernel_regularizer.l2));
    if (bias_regularizer.active() && bias.defined())
        context.add_loss("bias_regularization", regularization_penalty(bias, bias_regularizer.l1, bias_regularizer.l2));
}

void add_activity_penalty(const ForwardContext& context, const Var& y, const Regularizer& activity_regularizer) {
    if (!context.loss_terms || !activity_regularizer.active()) return;
    // Keras divides by the batch size, so the strength does not depend on it.
    const float per_sample = 1.0f / static_cast<float>(y.shape()[0]);
    context.add_loss("activity_regularization",
                     regularization_penalty(y, activity_regularizer.l1, activity_regularizer.l2, per_sample));
}

}  // namespace smallnet
