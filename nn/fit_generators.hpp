#pragma once
// The random streams fit's layers draw from (Dropout, the noise layers, Sampling), named so that a
// hand-written loop passing one to model(x, true, generator) draws the numbers fit draws: its first
// step then computes fit's first loss.

#include <cstdint>

#include "tensor/random.hpp"

namespace smallnet {

// The layers' generator in epoch `epoch` (counted from 1) of a fit with FitOptions::seed = seed. One
// stream per epoch, so that a fit resumed at any epoch (FitOptions::initial_epoch) draws what the whole
// run drew there; apart from the shuffling's stream, Generator(seed), so that turning shuffling off does
// not change the layers' draws.
// `block` 1 is the stream of the second row block when fit computes a batch as two (FitOptions::row_blocks);
// a hand-written loop that takes whole batches draws what fit draws with row_blocks = 1.
inline Generator fit_layer_generator(std::uint64_t seed, int epoch = 1, int block = 0) {
    return Generator(seed ^ 0x5DEECE66Dull ^ (static_cast<std::uint64_t>(epoch) * 0x9E3779B97F4A7C15ull) ^
                     (static_cast<std::uint64_t>(block) * 0xD1B54A32D192ED03ull));
}

}  // namespace smallnet
