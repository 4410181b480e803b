#include "nn/layer.hpp"

#include <stdexcept>

namespace smallnet {

Config Module::config() const {
    throw std::logic_error("save: layer type '" + type_name() +
                           "' gives no config(), so a model file could not make it again; override Module::config "
                           "(and extend layer_from_config), or save the weights only (save_weights)");
}

void Module::collect_summary(const std::string& prefix, std::vector<SummaryRow>& out) const {
    std::vector<NamedParameter> parameters;
    const_cast<Module*>(this)->collect_parameters(prefix, parameters);
    std::int64_t count = 0;
    for (const auto& p : parameters) count += p.variable->value().numel();
    out.push_back({prefix + " (" + type_name() + ")", batch_shape_string(output_shape()), count});
}

std::int64_t Module::output_size() const {
    const Shape shape = output_shape();
    return shape.rank() == 0 ? 0 : shape.numel();
}

std::string batch_shape_string(const Shape& sample_shape) {
    std::string text = "(None";
    for (const std::int64_t d : sample_shape) text += ", " + std::to_string(d);
    return text + ")";
}

Var Module::forward_with_loss(const Var& x, Loss loss, const Tensor& target, const ForwardContext& context) {
    return compute_loss(loss, forward(x, context), target);
}

void Module::predict_into(const Tensor& x, Tensor& out, const ForwardContext& context) {
    out.copy_from(forward(Var(x), context).value());
}

}  // namespace smallnet
