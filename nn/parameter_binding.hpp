#pragma once
// ParameterBinding: the one flat parameter buffer an optimizer's state (moments, velocity, step count)
// was made for. Stepping any other buffer is refused: a model's tensors stepped one by one with one
// optimizer would otherwise share, or silently reset, its moments and count several steps per update.

#include <cstdint>
#include <string>

#include "tensor/tensor.hpp"

namespace smallnet {

class ParameterBinding {
public:
    // Before an optimizer's step: binds to `parameters` at the first step (or the first after
    // reset), checking them against `state` when it is already defined (a state loaded from a file);
    // later, std::logic_error unless `parameters` is the bound buffer. std::invalid_argument when
    // `gradients` does not have one value per parameter. `optimizer` names it in the message.
    void check(const std::string& optimizer, const Tensor& parameters, const Tensor& gradients, const Tensor& state);
    // Forgets the buffer, with the state (Optimizer::reset).
    void reset() {
        data_ = nullptr;
        size_ = 0;
    }

private:
    const float* data_ = nullptr;
    std::int64_t size_ = 0;
};

}  // namespace smallnet
