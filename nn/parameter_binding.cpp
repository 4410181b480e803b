#include "nn/parameter_binding.hpp"

#include <stdexcept>

namespace smallnet {

namespace {
const char* const what_to_do =
    "An optimizer keeps one state (moments, step count) for one flat buffer of parameters: stepping a "
    "model's tensors one by one with it would mix their moments and count several steps per update. In a "
    "hand-written loop, compile the model with the optimizer and call model.apply_gradients() after "
    "loss.backward(); or give each buffer an optimizer of its own.";
}  // namespace

void ParameterBinding::check(const std::string& optimizer, const Tensor& parameters, const Tensor& gradients,
                             const Tensor& state) {
    if (gradients.numel() != parameters.numel())
        throw std::invalid_argument(optimizer + ".step: " + std::to_string(gradients.numel()) + " gradients for " +
                                    std::to_string(parameters.numel()) + " parameters; they must match one to one");
    if (data_ == nullptr) {
        if (state.defined() && state.numel() != parameters.numel())
            throw std::logic_error(optimizer + ".step: its state is for " + std::to_string(state.numel()) +
                                   " parameters, but it was given " + std::to_string(parameters.numel()) +
                                   " (a state restored for another model?). " + what_to_do);
        data_ = parameters.data();
        size_ = parameters.numel();
        return;
    }
    if (parameters.data() == data_ && parameters.numel() == size_) return;
    throw std::logic_error(optimizer + ".step: given a buffer of " + std::to_string(parameters.numel()) +
                           " parameters that is not the one of " + std::to_string(size_) +
                           " its state was made for at its first step" +
                           (parameters.numel() == size_ ? " (the same size, another buffer)" : "") + ". " + what_to_do);
}

}  // namespace smallnet
