#pragma once
// What Sequential::load_weights and load_model share: putting named tensors into a model's weights.

#include <string>

#include "nn/io/safetensors.hpp"
#include "nn/sequential.hpp"

namespace smallnet {

// Checks that `tensors` hold exactly the model's weights by name, each of its shape and finite, and
// only then copies them in; std::runtime_error starting "<what>: <source>" listing every mismatch.
void load_named_weights(Sequential& model, const NamedTensors& tensors, const std::string& source, const std::string& what);

}  // namespace smallnet
