#include "nn/layer.hpp"

namespace smallnet {

void Module::collect_summary(const std::string& prefix, std::vector<SummaryRow>& out) const {
    std::vector<NamedParameter> parameters;
    const_cast<Module*>(this)->collect_parameters(prefix, parameters);
    std::int64_t count = 0;
    for (const auto& p : parameters) count += p.variable->value().numel();
    out.push_back({prefix + " (" + type_name() + ")", "(None, " + std::to_string(output_size()) + ")", count});
}

Var Module::forward_with_loss(const Var& x, Loss loss, const Tensor& target, const ForwardContext& context) {
    return compute_loss(loss, forward(x, context), target);
}

void Module::predict_into(const Tensor& x, Tensor& out, const ForwardContext& context) {
    out.copy_from(forward(Var(x), context).value());
}

}  // namespace smallnet
