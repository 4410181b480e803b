#pragma once
// ParameterStore: all of a model's parameters in one contiguous buffer, the trainable ones first, and
// their gradients in another; each layer's Vars hold views into them. The optimizer step is one pass
// over the trainable part and a weight file is one write.

#include <memory>
#include <vector>

#include "autograd/gradient_redirect.hpp"
#include "nn/layer.hpp"
#include "nn/optimizers.hpp"

namespace smallnet {

class ParameterStore {
public:
    // Moves the parameters' values into one buffer (keeping the values), the trainable ones first,
    // and binds the trainable ones' gradients to views of another, keeping any gradient already
    // computed (a hand-written loop's first backward). Frozen ones get no gradient: the graph computes
    // none for them. The Vars are the layers' own, so the layers now use the buffers.
    void adopt(std::vector<NamedParameter> parameters);
    // Whether `parameters` are the ones adopted, each as trainable as it was then.
    bool holds(const std::vector<NamedParameter>& parameters) const;

    const std::vector<NamedParameter>& parameters() const { return parameters_; }
    // Every parameter's values (trainable first).
    Tensor& values() { return values_; }
    // The trainable part of values() and its gradients: what the optimizer updates.
    Tensor& trainable_values() { return trainable_values_; }
    Tensor& gradients() { return gradients_; }
    std::int64_t count() const { return values_.defined() ? values_.numel() : 0; }

    // Gradient buffers for row blocks 1, 2, ... of a batch (block 0's are gradients()), laid out as
    // gradients(), and the redirects that send a backward pass's parameter gradients into them: fit
    // computes a batch's row blocks at the same time, each into its own buffer (made on first use,
    // then kept). `block` >= 1.
    GradientRedirect& block_redirect(int block);
    Tensor& block_gradients(int block);

    // Before a backward pass: marks every gradient absent, so the pass writes instead of adding.
    void forget_gradients();
    // After it: a parameter the loss did not reach has a zero gradient (its view may hold stale values).
    void zero_missing_gradients();

private:
    std::vector<NamedParameter> parameters_;
    Tensor values_;
    Tensor trainable_values_;
    Tensor gradients_;
    std::vector<Tensor> block_gradients_;           // [block - 1]
    std::vector<GradientRedirect> block_redirects_;  // [block - 1]
};

// Makes `store` hold `parameters`, adopting them afresh when they are not the ones it holds (a layer
// frozen, unfrozen or added since): then `optimizer` starts afresh if it stepped an earlier store, its
// state being for that buffer (as after Keras' recompile). What fit and apply_gradients do first.
void keep_adopted(std::shared_ptr<ParameterStore>& store, const std::vector<NamedParameter>& parameters, Optimizer& optimizer);

}  // namespace smallnet
