#pragma once
// Generator: a seeded, counter-based random number generator whose streams do not depend on threads.
//
// Value number i of a generator is a hash of (seed, i) (the SplitMix64 sequence), so a tensor filled
// in parallel chunks gets the same numbers as one filled serially, on any thread count or machine.
// Normal numbers use the Box-Muller transform written out here (std::normal_distribution differs
// between standard libraries).

#include <cstdint>

namespace smallnet {

class Generator {
public:
    explicit Generator(std::uint64_t seed) : seed_(seed) {}

    std::uint64_t seed() const { return seed_; }
    // How many 64-bit values have been drawn so far.
    std::uint64_t position() const { return position_; }

    std::uint64_t next_u64() { return bits_at(position_++); }
    // Uniform in [0, 1), 24 random bits.
    float uniform() { return to_unit_float(next_u64()); }
    // Uniform integer in [0, bound), bound > 0 (Lemire's multiply-shift with rejection: unbiased).
    std::uint64_t below(std::uint64_t bound);
    // Standard normal.
    float normal();

    // Fill `count` floats uniform in [low, high) / normal(mean, stddev), advancing the stream by
    // `count` values (normal: rounded up to even); parallel for large counts, identical to serial.
    // fill_normal computes in float vectors of the active instruction set, so its last bits may
    // differ between instruction sets (never between thread counts); normal() computes in double.
    void fill_uniform(float* out, std::int64_t count, float low, float high);
    void fill_normal(float* out, std::int64_t count, float mean, float stddev);

    // The raw stream, by index: what next_u64() returns at `index`.
    std::uint64_t bits_at(std::uint64_t index) const;
    static float to_unit_float(std::uint64_t bits) {
        return static_cast<float>(bits >> 40) * (1.0f / 16777216.0f);
    }

private:
    std::uint64_t seed_;
    std::uint64_t position_ = 0;
};

}  // namespace smallnet
