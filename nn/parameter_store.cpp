#include "nn/parameter_store.hpp"

namespace smallnet {

void ParameterStore::adopt(std::vector<NamedParameter> parameters) {
    std::int64_t total = 0;
    for (const auto& p : parameters) total += p.variable->value().numel();
    Tensor values(Shape{total});
    Tensor gradients(Shape{total});
    gradients.fill(0.0f);
    std::int64_t offset = 0;
    for (auto& p : parameters) {
        Var& v = *p.variable;
        const Shape shape = v.shape();
        const std::int64_t n = shape.numel();
        Tensor value_view = values.rows(offset, offset + n).reshape(shape);
        value_view.copy_from(v.value());
        v.value() = value_view;
        v.bind_grad(gradients.rows(offset, offset + n).reshape(shape));
        v.zero_grad();
        offset += n;
    }
    parameters_ = std::move(parameters);
    values_ = values;
    gradients_ = gradients;
}

void ParameterStore::forget_gradients() {
    for (auto& p : parameters_) p.variable->zero_grad();
}

void ParameterStore::zero_missing_gradients() {
    for (auto& p : parameters_)
        if (!p.variable->has_grad()) p.variable->node().grad.fill(0.0f);
}

}  // namespace smallnet
