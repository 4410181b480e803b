#include "tensor/activation.hpp"

#include <stdexcept>
#include <string>

namespace smallnet {

namespace {
constexpr Activation all_activations[] = {Activation::linear,  Activation::relu, Activation::leaky_relu,
                                          Activation::sigmoid, Activation::tanh, Activation::softplus,
                                          Activation::softmax};
}

std::string_view activation_name(Activation activation) {
    switch (activation) {
        case Activation::linear: return "linear";
        case Activation::relu: return "relu";
        case Activation::leaky_relu: return "leaky_relu";
        case Activation::sigmoid: return "sigmoid";
        case Activation::tanh: return "tanh";
        case Activation::softplus: return "softplus";
        case Activation::softmax: return "softmax";
    }
    return "unknown";
}

Activation parse_activation(std::string_view name) {
    for (Activation a : all_activations)
        if (activation_name(a) == name) return a;
    throw std::invalid_argument("unknown activation '" + std::string(name) +
                                "' (expected linear, relu, leaky_relu, sigmoid, tanh, softplus or softmax)");
}

}  // namespace smallnet
