#include "tensor/creation.hpp"

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

namespace smallnet {

Tensor zeros(const Shape& shape) { return full(shape, 0.0f); }
Tensor ones(const Shape& shape) { return full(shape, 1.0f); }

Tensor full(const Shape& shape, float value) {
    Tensor t(shape);
    t.fill(value);
    return t;
}

Tensor from_buffer(std::span<const float> values, const Shape& shape) {
    if (static_cast<std::int64_t>(values.size()) != shape.numel())
        throw std::invalid_argument("from_buffer: " + std::to_string(values.size()) + " values cannot fill shape " +
                                    shape.to_string() + " (" + std::to_string(shape.numel()) + " elements)");
    Tensor t(shape);
    if (!values.empty()) std::memcpy(t.data(), values.data(), values.size() * sizeof(float));
    return t;
}

Tensor arange(float start, float stop, float step) {
    if (step == 0.0f || !std::isfinite(start) || !std::isfinite(stop) || !std::isfinite(step))
        throw std::invalid_argument("arange: needs finite start and stop and a non-zero step");
    const double span = (static_cast<double>(stop) - start) / step;
    const auto count = static_cast<std::int64_t>(std::max(0.0, std::ceil(span)));
    Tensor t(Shape{count});
    float* p = t.data();
    for (std::int64_t i = 0; i < count; ++i) p[i] = static_cast<float>(start + static_cast<double>(i) * step);
    return t;
}

Tensor arange(std::int64_t count) { return arange(0.0f, static_cast<float>(count)); }

Tensor uniform(const Shape& shape, float low, float high, Generator& generator) {
    if (!(low < high)) throw std::invalid_argument("uniform: needs low < high");
    Tensor t(shape);
    generator.fill_uniform(t.data(), t.numel(), low, high);
    return t;
}

Tensor normal(const Shape& shape, float mean, float stddev, Generator& generator) {
    if (!(stddev >= 0.0f)) throw std::invalid_argument("normal: needs stddev >= 0");
    Tensor t(shape);
    generator.fill_normal(t.data(), t.numel(), mean, stddev);
    return t;
}

namespace {
void check_fans(const char* what, std::int64_t fan_in, std::int64_t fan_out) {
    if (fan_in < 1 || fan_out < 1)
        throw std::invalid_argument(std::string(what) + ": fan_in and fan_out must be positive, got " +
                                    std::to_string(fan_in) + " and " + std::to_string(fan_out));
}
}  // namespace

Tensor glorot_uniform(const Shape& shape, std::int64_t fan_in, std::int64_t fan_out, Generator& generator) {
    check_fans("glorot_uniform", fan_in, fan_out);
    const float limit = static_cast<float>(std::sqrt(6.0 / static_cast<double>(fan_in + fan_out)));
    return uniform(shape, -limit, limit, generator);
}

Tensor he_uniform(const Shape& shape, std::int64_t fan_in, std::int64_t fan_out, Generator& generator) {
    check_fans("he_uniform", fan_in, fan_out);
    const float limit = static_cast<float>(std::sqrt(6.0 / static_cast<double>(fan_in)));
    return uniform(shape, -limit, limit, generator);
}

Tensor he_normal(const Shape& shape, std::int64_t fan_in, std::int64_t fan_out, Generator& generator) {
    check_fans("he_normal", fan_in, fan_out);
    // Keras divides by 0.8796..., the stddev of a unit normal truncated at two stddevs, so the
    // truncated distribution has the intended spread.
    const float stddev = static_cast<float>(std::sqrt(2.0 / static_cast<double>(fan_in)) / 0.87962566103423978);
    Tensor t(shape);
    float* p = t.data();
    for (std::int64_t i = 0, n = t.numel(); i < n; ++i) {
        float z;
        do z = generator.normal(); while (std::fabs(z) > 2.0f);
        p[i] = stddev * z;
    }
    return t;
}

Tensor glorot_uniform(std::int64_t fan_in, std::int64_t fan_out, Generator& generator) {
    check_fans("glorot_uniform", fan_in, fan_out);
    return glorot_uniform(Shape{fan_in, fan_out}, fan_in, fan_out, generator);
}

Tensor he_uniform(std::int64_t fan_in, std::int64_t fan_out, Generator& generator) {
    check_fans("he_uniform", fan_in, fan_out);
    return he_uniform(Shape{fan_in, fan_out}, fan_in, fan_out, generator);
}

Tensor he_normal(std::int64_t fan_in, std::int64_t fan_out, Generator& generator) {
    check_fans("he_normal", fan_in, fan_out);
    return he_normal(Shape{fan_in, fan_out}, fan_in, fan_out, generator);
}

}  // namespace smallnet
