#include "nn/initializers.hpp"

#include <stdexcept>
#include <string>

#include "tensor/creation.hpp"

namespace smallnet {

Tensor initial_values(Initializer initializer, const Shape& shape, std::int64_t fan_in, std::int64_t fan_out,
                      Generator& generator) {
    switch (initializer) {
        case Initializer::glorot_uniform: return glorot_uniform(shape, fan_in, fan_out, generator);
        case Initializer::he_uniform: return he_uniform(shape, fan_in, fan_out, generator);
        case Initializer::he_normal: return he_normal(shape, fan_in, fan_out, generator);
        case Initializer::zeros: break;
    }
    return zeros(shape);
}

namespace {
constexpr Initializer all_initializers[] = {Initializer::glorot_uniform, Initializer::he_uniform, Initializer::he_normal,
                                            Initializer::zeros};
}  // namespace

std::string_view initializer_name(Initializer initializer) {
    switch (initializer) {
        case Initializer::glorot_uniform: return "glorot_uniform";
        case Initializer::he_uniform: return "he_uniform";
        case Initializer::he_normal: return "he_normal";
        case Initializer::zeros: return "zeros";
    }
    return "unknown";
}

Initializer parse_initializer(std::string_view name) {
    std::string known;
    for (const Initializer initializer : all_initializers) {
        if (initializer_name(initializer) == name) return initializer;
        known += (known.empty() ? "" : ", ") + std::string(initializer_name(initializer));
    }
    throw std::invalid_argument("unknown initializer '" + std::string(name) + "' (known: " + known + ")");
}

}  // namespace smallnet
