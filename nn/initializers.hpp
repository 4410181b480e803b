#pragma once
// Initializer: how a layer's weights start, with Keras' definitions (tensor/creation.hpp).

#include <cstdint>
#include <string_view>

#include "tensor/random.hpp"
#include "tensor/tensor.hpp"

namespace smallnet {

enum class Initializer { glorot_uniform, he_uniform, he_normal, zeros };

// A tensor of `shape` drawn by `initializer` for a weight whose fans are fan_in and fan_out (Keras:
// a Dense kernel [in, out] has fans in and out; a convolution kernel [kh, kw, a, b] has kh*kw*a and
// kh*kw*b).
// Keras' names: "glorot_uniform", "he_uniform", "he_normal", "zeros"; parse_initializer throws
// std::invalid_argument listing them for any other.
std::string_view initializer_name(Initializer initializer);
Initializer parse_initializer(std::string_view name);
Tensor initial_values(Initializer initializer, const Shape& shape, std::int64_t fan_in, std::int64_t fan_out,
                      Generator& generator);

}  // namespace smallnet
