#pragma once
// Turning uniform numbers into normal ones (Box-Muller) for one instruction set; the uniform bits come
// from the counter-based generator in tensor/random.cpp.

#include "tensor/arch/elementwise_common_impl.hpp"

namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE {

inline void box_muller_vector(const Batch& u1, const Batch& u2, Batch& z0, Batch& z1) {
    const Batch radius = xsimd::sqrt(Batch(-2.0f) * xsimd::log(u1));
    const auto [sine, cosine] = xsimd::sincos(Batch(6.28318530717958647692f) * u2);
    z0 = radius * cosine;
    z1 = radius * sine;
}

inline void box_muller(const float* u1, const float* u2, float* z0, float* z1, std::int64_t n) {
    std::int64_t i = 0;
    Batch a, b;
    for (; i + lanes <= n; i += lanes) {
        box_muller_vector(Batch::load_unaligned(u1 + i), Batch::load_unaligned(u2 + i), a, b);
        a.store_unaligned(z0 + i);
        b.store_unaligned(z1 + i);
    }
    if (i < n) {
        // Padding u1 with 1 keeps the logarithm finite in the unused lanes.
        box_muller_vector(load_partial(u1 + i, n - i, 1.0f), load_partial(u2 + i, n - i), a, b);
        store_partial(a, z0 + i, n - i);
        store_partial(b, z1 + i, n - i);
    }
}

}  // namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE
