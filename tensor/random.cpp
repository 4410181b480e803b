#include "tensor/random.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "tensor/arch/elementwise_kernels.hpp"
#include "tensor/parallel.hpp"

namespace smallnet {

namespace {

__extension__ typedef unsigned __int128 uint128;  // GCC and Clang have it on 64-bit targets

constexpr std::uint64_t golden_gamma = 0x9E3779B97F4A7C15ull;

// SplitMix64's output function (Steele, Lea and Flood, 2014).
std::uint64_t mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// Box-Muller on two independent uniforms; u1 is moved into (0, 1] so the logarithm is finite.
void box_muller(std::uint64_t bits1, std::uint64_t bits2, float& z0, float& z1) {
    const double u1 = (static_cast<double>(bits1 >> 11) + 1.0) * (1.0 / 9007199254740992.0);
    const double u2 = static_cast<double>(bits2 >> 11) * (1.0 / 9007199254740992.0);
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * std::numbers::pi * u2;
    z0 = static_cast<float>(radius * std::cos(angle));
    z1 = static_cast<float>(radius * std::sin(angle));
}

constexpr std::int64_t parallel_grain = 1 << 15;

}  // namespace

std::uint64_t Generator::bits_at(std::uint64_t index) const {
    return mix(mix(seed_) + (index + 1) * golden_gamma);
}

std::uint64_t Generator::below(std::uint64_t bound) {
    // 128-bit multiply-shift; reject the few values that would bias the result.
    const std::uint64_t threshold = (0 - bound) % bound;
    for (;;) {
        const uint128 product = static_cast<uint128>(next_u64()) * bound;
        if (static_cast<std::uint64_t>(product) >= threshold) return static_cast<std::uint64_t>(product >> 64);
    }
}

float Generator::normal() {
    float z0, z1;
    box_muller(next_u64(), next_u64(), z0, z1);
    return z0;
}

void Generator::fill_uniform(float* out, std::int64_t count, float low, float high) {
    const std::uint64_t start = position_;
    const float width = high - low;
    detail::parallel_for(0, count, parallel_grain, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) {
            float value = low + width * to_unit_float(bits_at(start + static_cast<std::uint64_t>(i)));
            out[i] = value < high ? value : low;  // rounding can reach `high`; keep the interval half-open
        }
    });
    position_ += static_cast<std::uint64_t>(count);
}

// Box-Muller in float vectors on blocks of pairs (in double, one value at a time, it took 18 ns per
// value: six times a training step's worth for a GaussianNoise layer on a 256 x 784 batch). Pair p
// uses the stream's values start + 2p and start + 2p + 1, whatever the thread that computes it.
void Generator::fill_normal(float* out, std::int64_t count, float mean, float stddev) {
    const std::uint64_t start = position_;
    const std::int64_t pairs = (count + 1) / 2;
    constexpr std::int64_t block = 256;  // pairs per kernel call: four small buffers on the stack
    const std::int64_t blocks = (pairs + block - 1) / block;
    const arch::ElementwiseKernels& kernels = arch::elementwise_kernels();
    detail::parallel_for(0, blocks, std::max<std::int64_t>(parallel_grain / (2 * block), 1),
                         [&](std::int64_t first_block, std::int64_t end_block) {
        alignas(64) float u1[block], u2[block], z0[block], z1[block];
        for (std::int64_t b = first_block; b < end_block; ++b) {
            const std::int64_t first_pair = b * block;
            const std::int64_t size = std::min(block, pairs - first_pair);
            for (std::int64_t j = 0; j < size; ++j) {
                const std::uint64_t index = start + 2 * static_cast<std::uint64_t>(first_pair + j);
                u1[j] = static_cast<float>((bits_at(index) >> 40) + 1) * (1.0f / 16777216.0f);  // (0, 1]
                u2[j] = to_unit_float(bits_at(index + 1));
            }
            kernels.box_muller(u1, u2, z0, z1, size);
            for (std::int64_t j = 0; j < size; ++j) {
                const std::int64_t i = 2 * (first_pair + j);
                out[i] = mean + stddev * z0[j];
                if (i + 1 < count) out[i + 1] = mean + stddev * z1[j];
            }
        }
    });
    position_ += 2 * static_cast<std::uint64_t>(pairs);
}

}  // namespace smallnet
