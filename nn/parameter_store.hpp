#pragma once
// ParameterStore: all of a model's parameters in one contiguous buffer and their gradients in another;
// each layer's Vars hold views into them. The optimizer step is one pass over the buffers and a
// weight file is one write.

#include <vector>

#include "nn/layer.hpp"

namespace smallnet {

class ParameterStore {
public:
    // Moves the parameters' values into one buffer (keeping the values) and binds their gradients to
    // views of another. The Vars are the layers' own, so the layers now use the buffers.
    void adopt(std::vector<NamedParameter> parameters);

    const std::vector<NamedParameter>& parameters() const { return parameters_; }
    Tensor& values() { return values_; }
    Tensor& gradients() { return gradients_; }
    std::int64_t count() const { return values_.defined() ? values_.numel() : 0; }

    // Before a backward pass: marks every gradient absent, so the pass writes instead of adding.
    void forget_gradients();
    // After it: a parameter the loss did not reach has a zero gradient (its view may hold stale values).
    void zero_missing_gradients();

private:
    std::vector<NamedParameter> parameters_;
    Tensor values_;
    Tensor gradients_;
};

}  // namespace smallnet
