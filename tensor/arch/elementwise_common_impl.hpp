#pragma once
// The vector plumbing every element-wise kernel shares: the batch type of this instruction set and
// loops that run one vector function over full vectors and, through a zero-padded buffer, over the
// last partial vector, so a tail element gets exactly the arithmetic a body element gets (xsimd's
// exp/log/tanh differ from std::'s in the last bits; a scalar tail would make a value depend on its
// position). Included only by tensor/arch/elementwise_impl.hpp, inside one instruction set's TU.

#include <immintrin.h>

#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "tensor/arch/elementwise_kernels.hpp"

namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE {

using Arch = SMALLNET_ARCH;
using Batch = xsimd::batch<float, Arch>;
using Mask = xsimd::batch_bool<float, Arch>;
inline constexpr std::int64_t lanes = static_cast<std::int64_t>(Batch::size);

// The first `count` (< lanes) floats at p, the other lanes `fill`.
inline Batch load_partial(const float* p, std::int64_t count, float fill = 0.0f) {
    alignas(64) float buffer[lanes];
    for (std::int64_t i = 0; i < lanes; ++i) buffer[i] = i < count ? p[i] : fill;
    return Batch::load_aligned(buffer);
}

inline void store_partial(const Batch& v, float* p, std::int64_t count) {
    alignas(64) float buffer[lanes];
    v.store_aligned(buffer);
    for (std::int64_t i = 0; i < count; ++i) p[i] = buffer[i];
}

// Stores v at p (aligned to a whole vector) without first bringing p's cache line to this core. For
// buffers the other cores have just read, which a plain store must first take back from each of them
// line by line: Adam writing the weights after the GEMMs read them took 210 us for 0.84 MB instead of
// 41 on this 2-core EPYC (a scratch test); a batch buffer the GEMMs packed, likewise. Their next
// reader fetches them from memory either way. End a run of these with finish_streaming().
inline void store_streaming(const Batch& v, float* p) {
#if defined(__AVX512F__)
    _mm512_stream_ps(p, v);
#elif defined(__AVX__)
    _mm256_stream_ps(p, v);
#else
    _mm_stream_ps(p, v);
#endif
}

// Streaming stores are weakly ordered: fence them before another thread may read what they wrote.
inline void finish_streaming() { _mm_sfence(); }

inline bool vector_aligned(const float* p) { return reinterpret_cast<std::uintptr_t>(p) % sizeof(Batch) == 0; }

// Lanes [0, count) true: masks the padding out of a partial vector in reductions.
inline Mask first_lanes(std::int64_t count) {
    alignas(64) float index[lanes];
    for (std::int64_t i = 0; i < lanes; ++i) index[i] = static_cast<float>(i);
    return Batch::load_aligned(index) < Batch(static_cast<float>(count));
}

// out[i] = f(inputs[i]...) for i in [0, n); out may be one of the inputs. One vector per iteration:
// unrolled by two, GCC stored the second vector before the first, and tensors beyond the caches lost
// 10% of their bandwidth (add: 31 GB/s against 34 on one core).
template <class F, class... Inputs>
inline void map(std::int64_t n, float* out, F f, const Inputs*... inputs) {
    std::int64_t i = 0;
    for (; i + lanes <= n; i += lanes) f(Batch::load_unaligned(inputs + i)...).store_unaligned(out + i);
    if (i < n) store_partial(f(load_partial(inputs + i, n - i)...), out + i, n - i);
}

// The sum of f(inputs[i]...) over [0, n): blocks of sum_block elements are added in four vector
// accumulators (one add chain would wait on its latency), folded to a float, then added in double.
template <class F, class... Inputs>
inline double blocked_sum(std::int64_t n, F f, const Inputs*... inputs) {
    double total = 0.0;
    for (std::int64_t block = 0; block < n; block += sum_block) {
        const std::int64_t end = block + sum_block < n ? block + sum_block : n;
        Batch acc0(0.0f), acc1(0.0f), acc2(0.0f), acc3(0.0f);
        std::int64_t i = block;
        for (; i + 4 * lanes <= end; i += 4 * lanes) {
            acc0 += f(Batch::load_unaligned(inputs + i)...);
            acc1 += f(Batch::load_unaligned(inputs + i + lanes)...);
            acc2 += f(Batch::load_unaligned(inputs + i + 2 * lanes)...);
            acc3 += f(Batch::load_unaligned(inputs + i + 3 * lanes)...);
        }
        for (; i + lanes <= end; i += lanes) acc0 += f(Batch::load_unaligned(inputs + i)...);
        if (i < end) acc1 += xsimd::select(first_lanes(end - i), f(load_partial(inputs + i, end - i)...), Batch(0.0f));
        total += static_cast<double>(xsimd::hadd((acc0 + acc1) + (acc2 + acc3)));
    }
    return total;
}

}  // namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE
