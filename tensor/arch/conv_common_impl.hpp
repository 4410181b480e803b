#pragma once
// What the convolution kernels of one instruction set share: the vector type, the register budget,
// multiply-add, loads and stores of part of a vector, and the epilogue functions. Included by
// conv_impl.hpp inside one instruction set's translation unit; everything sits in that set's
// namespace, in `conv` so that no name meets the GEMM's (tensor/arch/README.md).

#include <cstdint>
#include <immintrin.h>
#include <xsimd/xsimd.hpp>

#include "tensor/activation.hpp"
#include "tensor/arch/conv_kernels.hpp"
#include "tensor/arch/activation_impl.hpp"
#include "tensor/arch/sigmoid_impl.hpp"

namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE::conv {

using Arch = SMALLNET_ARCH;
using Vector = xsimd::batch<float, Arch>;
constexpr std::int64_t lanes = Vector::size;
// Vector registers a tile's sums may take: of 32 (AVX-512) or 16, the rest hold the loaded operands.
constexpr std::int64_t accumulators = lanes == 16 ? 24 : 12;

// std::min would be one weak symbol for every instruction set's files (tensor/arch/README.md).
constexpr std::int64_t smaller(std::int64_t a, std::int64_t b) { return a < b ? a : b; }

constexpr std::int64_t round_up(std::int64_t value, std::int64_t multiple) {
    return (value + multiple - 1) / multiple * multiple;
}

// For helpers that take a tile's sums (arrays of vectors) by reference: called out of line they would
// pass every vector through memory, and GCC's inlining budget runs out in these large files.
#define SMALLNET_CONV_INLINE inline __attribute__((always_inline))

// x * y + z, fused where the instruction set has FMA (xsimd 8.1's avx512 fma is the generic x * y + z).
inline Vector multiply_add(Vector x, Vector y, Vector z) {
#if defined(__AVX512F__)
    return Vector(_mm512_fmadd_ps(x, y, z));
#else
    return xsimd::fma(x, y, z);
#endif
}

// A vector GCC must hold in a register: without this it may fold a load into each of several FMAs
// as a memory operand, loading the same vector once per use.
inline Vector in_register(Vector x) {
    typename Vector::register_type value = x;
    asm("" : "+v"(value));
    return Vector(value);
}

// The first `count` floats at `source` (count <= lanes), zeros after them; and the store back.
inline Vector load_first(const float* source, std::int64_t count) {
    if (count == lanes) return Vector::load_unaligned(source);
    alignas(64) float values[lanes] = {};
    for (std::int64_t j = 0; j < count; ++j) values[j] = source[j];
    return Vector::load_aligned(values);
}

inline void store_first(Vector vector, float* destination, std::int64_t count) {
    if (count == lanes) {
        vector.store_unaligned(destination);
        return;
    }
    alignas(64) float values[lanes];
    vector.store_aligned(values);
    for (std::int64_t j = 0; j < count; ++j) destination[j] = values[j];
}

// `count` (1 to lanes) floats as a vector, zeros after; and back. AVX-512 masks the lanes past
// `count` (8 channels cost one instruction, like 16); the other sets go through a small buffer.
inline Vector load_part(const float* source, std::int64_t count) {
#if defined(__AVX512F__)
    if (count < lanes) return Vector(_mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << count) - 1u), source));
    return Vector::load_unaligned(source);
#else
    return load_first(source, count);
#endif
}

inline void store_part(Vector vector, float* destination, std::int64_t count) {
#if defined(__AVX512F__)
    if (count < lanes) return _mm512_mask_storeu_ps(destination, static_cast<__mmask16>((1u << count) - 1u), vector);
    vector.store_unaligned(destination);
#else
    store_first(vector, destination, count);
#endif
}

// count floats (any count) set to 0.
inline void fill_zero(float* destination, std::int64_t count) {
    std::int64_t i = 0;
    for (; i + lanes <= count; i += lanes) Vector(0.0f).store_unaligned(destination + i);
    for (; i < count; ++i) destination[i] = 0.0f;
}

inline void copy_floats(const float* source, float* destination, std::int64_t count) {
    std::int64_t i = 0;
    for (; i + lanes <= count; i += lanes) Vector::load_unaligned(source + i).store_unaligned(destination + i);
    for (; i < count; ++i) destination[i] = source[i];
}

// Copies an NHWC image (height x width x channels) into a zero-padded one of padded_rows x
// padded_columns pixels, image pixel (iy, ix) at (iy + pad_top, ix + pad_left); pixels that fall
// outside it are dropped. The `floats` of the padded buffer are zeroed first only when `clear` (the
// border stays zero from one image to the next).
inline void copy_to_padded_pixels(const float* image, std::int64_t height, std::int64_t width, std::int64_t channels,
                                  std::int64_t pad_top, std::int64_t pad_left, std::int64_t padded_rows,
                                  std::int64_t padded_columns, float* padded, std::int64_t floats, bool clear) {
    if (clear) fill_zero(padded, floats);
    const std::int64_t columns = smaller(width, padded_columns - pad_left);
    const char* end = reinterpret_cast<const char*>(image + height * width * channels);
    for (std::int64_t iy = 0; iy < height && iy + pad_top < padded_rows; ++iy) {
        // The image usually streams from L3: ask for the row after next while copying this one.
        const char* ahead = reinterpret_cast<const char*>(image + (iy + 2) * width * channels);
        for (std::int64_t b = 0; b < width * channels * 4 && ahead + b < end; b += 64) __builtin_prefetch(ahead + b, 0, 3);
        copy_floats(image + iy * width * channels, padded + ((iy + pad_top) * padded_columns + pad_left) * channels,
                    columns * channels);
    }
}

// Asks for the cache lines of [data, data + floats) (for writing when `write`). Rows past an image's
// end are the next image's first rows (the images of a batch follow each other), and a prefetch
// never faults, even past the batch.
inline void prefetch_floats(const float* data, std::int64_t floats, bool write = false) {
    const char* bytes = reinterpret_cast<const char*>(data);
    for (std::int64_t offset = 0; offset < floats * 4; offset += 64) {
        if (write) __builtin_prefetch(bytes + offset, 1, 3);
        else __builtin_prefetch(bytes + offset, 0, 3);
    }
}

// Prefetches the scratch's next image in `steps` slices, one per step() (and the rest at finish()),
// so that the prefetches spread over this image's work instead of queueing up at its start (a burst
// of them stalls, and what arrives early is evicted from L1 before it is read).
class Prefetcher {
public:
    Prefetcher(const Scratch& scratch, std::int64_t steps)
        : bytes_(reinterpret_cast<const char*>(scratch.next)),
          lines_(scratch.next ? (scratch.next_floats * 4 + 63) / 64 : 0),
          steps_(steps > 0 ? steps : 1) {}
    void step() { issue(lines_ * smaller(++done_, steps_) / steps_); }
    void finish() { issue(lines_); }

private:
    void issue(std::int64_t through) {
        for (; issued_ < through; ++issued_) __builtin_prefetch(bytes_ + issued_ * 64, 0, 2);
    }
    const char* bytes_;
    std::int64_t lines_;
    std::int64_t steps_;
    std::int64_t issued_ = 0, done_ = 0;
};



}  // namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE::conv
