#include "nn/initializers.hpp"

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

}  // namespace smallnet
