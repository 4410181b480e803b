#pragma once
// Functions that make new tensors: constants, ranges, copies of buffers, random values and the
// weight initialisers of Keras.

#include <cstdint>
#include <span>

#include "tensor/random.hpp"
#include "tensor/tensor.hpp"

namespace smallnet {

Tensor zeros(const Shape& shape);
Tensor ones(const Shape& shape);
Tensor full(const Shape& shape, float value);
// A tensor holding a copy of `values`, which must have shape.numel() elements.
Tensor from_buffer(std::span<const float> values, const Shape& shape);
// [start, start + step, ...) up to `stop` (exclusive), as NumPy's arange; rank 1.
Tensor arange(float start, float stop, float step = 1.0f);
Tensor arange(std::int64_t count);

Tensor uniform(const Shape& shape, float low, float high, Generator& generator);
Tensor normal(const Shape& shape, float mean, float stddev, Generator& generator);

// Keras' glorot_uniform for a [fan_in, fan_out] kernel: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)).
Tensor glorot_uniform(std::int64_t fan_in, std::int64_t fan_out, Generator& generator);
// Keras' he_uniform: U(-limit, limit), limit = sqrt(6 / fan_in).
Tensor he_uniform(std::int64_t fan_in, std::int64_t fan_out, Generator& generator);
// Keras' he_normal: normal with stddev sqrt(2 / fan_in), truncated (redrawn) beyond two stddevs.
Tensor he_normal(std::int64_t fan_in, std::int64_t fan_out, Generator& generator);
// The same for a kernel of any shape whose fans are given (a convolution's [kh, kw, in, out] has fans
// kh * kw * in and kh * kw * out); values are drawn in the same order, so the [fan_in, fan_out] forms
// above equal these with shape {fan_in, fan_out}.
Tensor glorot_uniform(const Shape& shape, std::int64_t fan_in, std::int64_t fan_out, Generator& generator);
Tensor he_uniform(const Shape& shape, std::int64_t fan_in, std::int64_t fan_out, Generator& generator);
Tensor he_normal(const Shape& shape, std::int64_t fan_in, std::int64_t fan_out, Generator& generator);

}  // namespace smallnet
