#pragma once
// The random stream fit's layers draw from (Dropout, the noise layers, Sampling), named so that a
// hand-written loop passing it to model(x, true, generator) draws the numbers fit draws: its first
// step then computes fit's first loss.

#include <cstdint>

#include "tensor/random.hpp"

namespace smallnet {

// The layers' generator of a fit with FitOptions::seed = seed; apart from the shuffling's stream,
// Generator(seed), so that turning shuffling off does not change the layers' draws.
inline Generator fit_layer_generator(std::uint64_t seed) { return Generator(seed ^ 0x5DEECE66Dull); }

}  // namespace smallnet
