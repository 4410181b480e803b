#include "autograd/ops/losses.hpp"

#include "autograd/op.hpp"
#include "autograd/registry.hpp"
#include "tensor/elementwise.hpp"

namespace smallnet {

namespace {
Var mean_loss(LossKind kind, const char* name, const Var& prediction, const Tensor& target) {
    if (prediction.shape() != target.shape())
        throw_shape_error(name, prediction.shape(), target.shape(), "the prediction and the target must have one shape");
    const double count = static_cast<double>(target.numel());
    Tensor loss(Shape{});
    loss.data()[0] = static_cast<float>(loss_sum(kind, prediction.value(), target) / count);
    return make_result(name, loss, {&prediction}, [kind, count, p = prediction.value(), target](Node& self) {
        auto gradient = self.gradient_target(0);
        const float scale = static_cast<float>(self.gradient().item() / count);
        loss_gradient(kind, p, target, scale, gradient.tensor, gradient.accumulate);
    });
}
}  // namespace

SMALLNET_REGISTER_OP("mean_squared_error");
Var mean_squared_error(const Var& prediction, const Tensor& target) {
    return mean_loss(LossKind::squared_error, "mean_squared_error", prediction, target);
}

SMALLNET_REGISTER_OP("mean_absolute_error");
Var mean_absolute_error(const Var& prediction, const Tensor& target) {
    return mean_loss(LossKind::absolute_error, "mean_absolute_error", prediction, target);
}

SMALLNET_REGISTER_OP("binary_cross_entropy");
Var binary_cross_entropy(const Var& probabilities, const Tensor& target) {
    return mean_loss(LossKind::binary_cross_entropy, "binary_cross_entropy", probabilities, target);
}

SMALLNET_REGISTER_OP("binary_cross_entropy_with_logits");
Var binary_cross_entropy_with_logits(const Var& logits, const Tensor& target) {
    if (!grad_enabled() || !logits.requires_grad())
        return mean_loss(LossKind::binary_cross_entropy_with_logits, "binary_cross_entropy_with_logits", logits, target);
    if (logits.shape() != target.shape())
        throw_shape_error("binary_cross_entropy_with_logits", logits.shape(), target.shape(),
                          "the prediction and the target must have one shape");
    // The gradient comes out of the pass that sums the loss (one exponential per element), for an
    // upstream gradient of 1 (a loss is where backward starts); rescaled in the rare case it is not.
    const double count = static_cast<double>(target.numel());
    Tensor gradient(logits.shape());
    Tensor loss(Shape{});
    loss.data()[0] = static_cast<float>(
        cross_entropy_of_logits(logits.value(), target, static_cast<float>(1.0 / count), gradient) / count);
    return make_result("binary_cross_entropy_with_logits", loss, {&logits}, [gradient](Node& self) mutable {
        const float upstream = self.gradient().item();
        if (upstream != 1.0f) binary(BinaryOp::mul, gradient, upstream, gradient);  // in place: the op owns it
        self.give_gradient(0, gradient);
    });
}

}  // namespace smallnet
