#include "autograd/ops/categorical_cross_entropy.hpp"

#include "autograd/op.hpp"
#include "autograd/registry.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/softmax.hpp"

namespace smallnet {

namespace {
// The mean loss over the rows, its gradient computed in the same pass (the rows are short) for an
// upstream gradient of 1 and rescaled in the rare case it is not.
Var mean_cross_entropy(const char* op, ClassScores scores, ClassTargets targets, const Var& prediction,
                       const Tensor& target) {
    const Shape& shape = prediction.shape();
    const std::int64_t classes = shape.rank() > 0 ? shape[shape.rank() - 1] : 0;
    const std::int64_t rows = classes > 0 ? prediction.value().numel() / classes : 0;
    if (rows == 0) throw_shape_error(op, shape, "needs at least one sample and one class");
    const bool with_gradient = grad_enabled() && prediction.requires_grad();
    Tensor gradient = with_gradient ? Tensor(shape) : Tensor();
    Tensor loss(Shape{});
    const double sum = categorical_cross_entropy_sum(scores, targets, prediction.value(), target,
                                                     with_gradient ? &gradient : nullptr,
                                                     static_cast<float>(1.0 / static_cast<double>(rows)));
    loss.data()[0] = static_cast<float>(sum / static_cast<double>(rows));
    return make_result(op, loss, {&prediction}, [gradient](Node& self) mutable {
        const float upstream = self.gradient().item();
        if (upstream != 1.0f) binary(BinaryOp::mul, gradient, upstream, gradient);  // in place: the op owns it
        self.give_gradient(0, gradient);
    });
}
}  // namespace

SMALLNET_REGISTER_OP("sparse_categorical_cross_entropy");
Var sparse_categorical_cross_entropy(const Var& probabilities, const Tensor& labels) {
    return mean_cross_entropy("sparse_categorical_cross_entropy", ClassScores::probabilities, ClassTargets::labels,
                              probabilities, labels);
}

SMALLNET_REGISTER_OP("sparse_categorical_cross_entropy_with_logits");
Var sparse_categorical_cross_entropy_with_logits(const Var& logits, const Tensor& labels) {
    return mean_cross_entropy("sparse_categorical_cross_entropy_with_logits", ClassScores::logits, ClassTargets::labels,
                              logits, labels);
}

SMALLNET_REGISTER_OP("categorical_cross_entropy");
Var categorical_cross_entropy(const Var& probabilities, const Tensor& targets) {
    return mean_cross_entropy("categorical_cross_entropy", ClassScores::probabilities, ClassTargets::one_hot,
                              probabilities, targets);
}

SMALLNET_REGISTER_OP("categorical_cross_entropy_with_logits");
Var categorical_cross_entropy_with_logits(const Var& logits, const Tensor& targets) {
    return mean_cross_entropy("categorical_cross_entropy_with_logits", ClassScores::logits, ClassTargets::one_hot,
                              logits, targets);
}

}  // namespace smallnet
