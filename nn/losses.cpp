#include "nn/losses.hpp"

#include <stdexcept>
#include <string>

#include "autograd/ops/losses.hpp"

namespace smallnet {

Loss parse_loss(std::string_view name) {
    if (name == "mse" || name == "mean_squared_error") return Loss::mean_squared_error;
    if (name == "mae" || name == "mean_absolute_error") return Loss::mean_absolute_error;
    if (name == "bce" || name == "binary_crossentropy") return Loss::binary_crossentropy;
    if (name == "bce_from_logits" || name == "binary_crossentropy_from_logits") return Loss::binary_crossentropy_from_logits;
    throw std::invalid_argument("unknown loss '" + std::string(name) + "' (expected mse, mae, bce or bce_from_logits)");
}

std::string_view loss_name(Loss loss) {
    switch (loss) {
        case Loss::mean_squared_error: return "mse";
        case Loss::mean_absolute_error: return "mae";
        case Loss::binary_crossentropy: return "bce";
        case Loss::binary_crossentropy_from_logits: return "bce_from_logits";
    }
    return "unknown";
}

Var compute_loss(Loss loss, const Var& prediction, const Tensor& target) {
    switch (loss) {
        case Loss::mean_squared_error: return mean_squared_error(prediction, target);
        case Loss::mean_absolute_error: return mean_absolute_error(prediction, target);
        case Loss::binary_crossentropy: return binary_cross_entropy(prediction, target);
        case Loss::binary_crossentropy_from_logits: return binary_cross_entropy_with_logits(prediction, target);
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
    }
    throw std::logic_error("loss_kind: unknown loss");
}

double reduction_factor(Reduction reduction, std::int64_t values_per_sample) {
    return reduction == Reduction::sum_over_features ? static_cast<double>(values_per_sample) : 1.0;
}

double mean_loss(Loss loss, const Tensor& prediction, const Tensor& target) {
    if (prediction.numel() == 0) throw_shape_error("mean_loss", prediction.shape(), "there are no elements to average");
    return loss_sum(loss_kind(loss), prediction, target) / static_cast<double>(prediction.numel());
}

}  // namespace smallnet
