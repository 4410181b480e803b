#include "nn/losses.hpp"

#include <stdexcept>
#include <string>

#include "autograd/ops/categorical_cross_entropy.hpp"
#include "autograd/ops/losses.hpp"
#include "tensor/softmax.hpp"

namespace smallnet {

Loss parse_loss(std::string_view name) {
    if (name == "mse" || name == "mean_squared_error") return Loss::mean_squared_error;
    if (name == "mae" || name == "mean_absolute_error") return Loss::mean_absolute_error;
    if (name == "bce" || name == "binary_crossentropy") return Loss::binary_crossentropy;
    if (name == "bce_from_logits" || name == "binary_crossentropy_from_logits") return Loss::binary_crossentropy_from_logits;
    if (name == "sparse_categorical_crossentropy") return Loss::sparse_categorical_crossentropy;
    if (name == "sparse_categorical_crossentropy_from_logits") return Loss::sparse_categorical_crossentropy_from_logits;
    if (name == "categorical_crossentropy") return Loss::categorical_crossentropy;
    if (name == "categorical_crossentropy_from_logits") return Loss::categorical_crossentropy_from_logits;
    throw std::invalid_argument("unknown loss '" + std::string(name) +
                                "' (expected mse, mae, bce, bce_from_logits, sparse_categorical_crossentropy, "
                                "categorical_crossentropy, or either of these two with _from_logits)");
}

std::string_view loss_name(Loss loss) {
    switch (loss) {
        case Loss::mean_squared_error: return "mse";
        case Loss::mean_absolute_error: return "mae";
        case Loss::binary_crossentropy: return "bce";
        case Loss::binary_crossentropy_from_logits: return "bce_from_logits";
        case Loss::sparse_categorical_crossentropy: return "sparse_categorical_crossentropy";
        case Loss::sparse_categorical_crossentropy_from_logits: return "sparse_categorical_crossentropy_from_logits";
        case Loss::categorical_crossentropy: return "categorical_crossentropy";
        case Loss::categorical_crossentropy_from_logits: return "categorical_crossentropy_from_logits";
    }
    return "unknown";
}

namespace {
// The logits behind a softmax's output, or an empty Var: probabilities that come from a softmax are
// scored from its logits (log-softmax), as Keras does, so that a confident wrong answer still has a
// gradient where the clamped probability would give none.
Var logits_of_softmax(const Var& probabilities) {
    if (!probabilities.defined() || std::string_view(probabilities.op_name()) != "softmax") return Var();
    return Var(probabilities.node().parents[0]);
}

ClassTargets class_targets(Loss loss) { return takes_labels(loss) ? ClassTargets::labels : ClassTargets::one_hot; }
ClassScores class_scores(Loss loss) {
    return loss == Loss::sparse_categorical_crossentropy_from_logits || loss == Loss::categorical_crossentropy_from_logits
               ? ClassScores::logits
               : ClassScores::probabilities;
}
}  // namespace

bool is_categorical(Loss loss) {
    return loss == Loss::sparse_categorical_crossentropy || loss == Loss::sparse_categorical_crossentropy_from_logits ||
           loss == Loss::categorical_crossentropy || loss == Loss::categorical_crossentropy_from_logits;
}

bool takes_labels(Loss loss) {
    return loss == Loss::sparse_categorical_crossentropy || loss == Loss::sparse_categorical_crossentropy_from_logits;
}

Shape target_shape(Loss loss, const Shape& output_shape) {
    Shape shape = output_shape;
    if (takes_labels(loss) && shape.rank() > 0) shape[shape.rank() - 1] = 1;
    return shape;
}

Var compute_loss(Loss loss, const Var& prediction, const Tensor& target) {
    if (loss == Loss::sparse_categorical_crossentropy || loss == Loss::categorical_crossentropy) {
        if (const Var logits = logits_of_softmax(prediction); logits.defined())
            return loss == Loss::sparse_categorical_crossentropy ? sparse_categorical_cross_entropy_with_logits(logits, target)
                                                                 : categorical_cross_entropy_with_logits(logits, target);
    }
    switch (loss) {
        case Loss::mean_squared_error: return mean_squared_error(prediction, target);
        case Loss::mean_absolute_error: return mean_absolute_error(prediction, target);
        case Loss::binary_crossentropy: return binary_cross_entropy(prediction, target);
        case Loss::binary_crossentropy_from_logits: return binary_cross_entropy_with_logits(prediction, target);
        case Loss::sparse_categorical_crossentropy: return sparse_categorical_cross_entropy(prediction, target);
        case Loss::sparse_categorical_crossentropy_from_logits:
            return sparse_categorical_cross_entropy_with_logits(prediction, target);
        case Loss::categorical_crossentropy: return categorical_cross_entropy(prediction, target);
        case Loss::categorical_crossentropy_from_logits: return categorical_cross_entropy_with_logits(prediction, target);
    }
    throw std::logic_error("compute_loss: unknown loss");
}

Var cross_entropy_of_sigmoid(const Var& logits, const Tensor& target) {
    return binary_cross_entropy_with_logits(logits, target);
}

LossKind loss_kind(Loss loss) {
    switch (loss) {
        case Loss::mean_squared_error: return LossKind::squared_error;
        case Loss::mean_absolute_error: return LossKind::absolute_error;
        case Loss::binary_crossentropy: return LossKind::binary_cross_entropy;
        case Loss::binary_crossentropy_from_logits: return LossKind::binary_cross_entropy_with_logits;
        default: break;
    }
    throw std::logic_error("loss_kind: " + std::string(loss_name(loss)) + " has no element-wise kernel");
}

double reduction_factor(Reduction reduction, std::int64_t values_per_sample) {
    return reduction == Reduction::sum_over_features ? static_cast<double>(values_per_sample) : 1.0;
}

double reduction_factor(Reduction reduction, Loss loss, std::int64_t values_per_sample) {
    return is_categorical(loss) ? 1.0 : reduction_factor(reduction, values_per_sample);
}

double loss_total(Loss loss, const Tensor& prediction, const Tensor& target) {
    if (is_categorical(loss))
        return categorical_cross_entropy_sum(class_scores(loss), class_targets(loss), prediction, target);
    return loss_sum(loss_kind(loss), prediction, target);
}

std::int64_t loss_terms(Loss loss, const Tensor& prediction) {
    if (!is_categorical(loss)) return prediction.numel();
    const Shape& shape = prediction.shape();
    const std::int64_t classes = shape.rank() > 0 ? shape[shape.rank() - 1] : 0;
    return classes > 0 ? prediction.numel() / classes : 0;
}

double mean_loss(Loss loss, const Tensor& prediction, const Tensor& target) {
    const std::int64_t terms = loss_terms(loss, prediction);
    if (terms == 0) throw_shape_error("mean_loss", prediction.shape(), "there are no elements to average");
    return loss_total(loss, prediction, target) / static_cast<double>(terms);
}

}  // namespace smallnet
