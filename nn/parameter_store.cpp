#include "nn/parameter_store.hpp"

#include <algorithm>
#include <stdexcept>

namespace smallnet {

namespace {
std::vector<NamedParameter> trainable_first(std::vector<NamedParameter> parameters) {
    std::stable_partition(parameters.begin(), parameters.end(), [](const NamedParameter& p) { return p.trainable; });
    return parameters;
}
}  // namespace

void ParameterStore::adopt(std::vector<NamedParameter> parameters) {
    parameters = trainable_first(std::move(parameters));
    std::int64_t total = 0, trainable = 0;
    for (const auto& p : parameters) {
        total += p.variable->value().numel();
        if (p.trainable) trainable += p.variable->value().numel();
    }
    Tensor values(Shape{total});
    Tensor gradients(Shape{trainable});
    gradients.fill(0.0f);
    std::int64_t offset = 0;
    std::int32_t slot = 0;
    for (auto& p : parameters) {
        Var& v = *p.variable;
        const Shape shape = v.shape();
        const std::int64_t n = shape.numel();
        Tensor value_view = values.rows(offset, offset + n).reshape(shape);
        value_view.copy_from(v.value());
        v.value() = value_view;
        v.node().requires_grad = p.trainable;
        v.node().parameter_slot = p.trainable ? slot++ : -1;
        if (p.trainable) {
            Tensor gradient_view = gradients.rows(offset, offset + n).reshape(shape);
            const bool computed = v.has_grad() && v.node().requires_grad;
            if (computed) gradient_view.copy_from(v.grad());
            v.bind_grad(gradient_view);
            if (!computed) v.zero_grad();
        }
        offset += n;
    }
    parameters_ = std::move(parameters);
    values_ = values;
    trainable_values_ = values.rows(0, trainable);
    gradients_ = gradients;
    block_gradients_.clear();
    block_redirects_.clear();
}

Tensor& ParameterStore::block_gradients(int block) {
    block_redirect(block);
    return block_gradients_[static_cast<std::size_t>(block - 1)];
}

GradientRedirect& ParameterStore::block_redirect(int block) {
    if (block < 1) throw std::invalid_argument("ParameterStore::block_redirect: block 0's gradients are gradients()");
    while (block_redirects_.size() < static_cast<std::size_t>(block)) {
        Tensor buffer(gradients_.shape());
        std::vector<Tensor> views;
        std::int64_t offset = 0;
        for (const auto& p : parameters_) {
            if (!p.trainable) continue;
            const Shape shape = p.variable->shape();
            views.push_back(buffer.rows(offset, offset + shape.numel()).reshape(shape));
            offset += shape.numel();
        }
        block_gradients_.push_back(buffer);
        block_redirects_.emplace_back(std::move(views));
    }
    return block_redirects_[static_cast<std::size_t>(block - 1)];
}

bool ParameterStore::holds(const std::vector<NamedParameter>& parameters) const {
    const std::vector<NamedParameter> ordered = trainable_first(parameters);
    if (!std::equal(ordered.begin(), ordered.end(), parameters_.begin(), parameters_.end(),
                    [](const NamedParameter& a, const NamedParameter& b) {
                        return a.variable == b.variable && a.trainable == b.trainable;
                    }))
        return false;
    // Another model's store sharing these layers (an encoder fit on its own) may have adopted them
    // since: then their values and gradients live in its buffers, and their slots are its own.
    std::int64_t offset = 0;
    for (const auto& p : parameters_) {
        const Node& node = p.variable->node();
        if (p.variable->value().data() != values_.data() + offset) return false;
        if (p.trainable && (node.grad.data() != gradients_.data() + offset)) return false;
        offset += node.value.numel();
    }
    return true;
}

void ParameterStore::forget_gradients() {
    for (auto& p : parameters_)
        if (p.trainable) p.variable->zero_grad();
}

void ParameterStore::zero_missing_gradients() {
    for (auto& p : parameters_)
        if (p.trainable && !p.variable->has_grad()) p.variable->node().grad.fill(0.0f);
}

void keep_adopted(std::shared_ptr<ParameterStore>& store, const std::vector<NamedParameter>& parameters, Optimizer& optimizer) {
    if (store && store->holds(parameters)) return;
    const bool had_store = store != nullptr;
    store = std::make_shared<ParameterStore>();
    store->adopt(parameters);
    if (had_store) optimizer.reset();
}

}  // namespace smallnet
