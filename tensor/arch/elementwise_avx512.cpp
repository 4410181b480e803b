// The element-wise kernels compiled for avx512 (flags in tensor/meson.build).
//
// xsimd::avx512dq rather than the avx512bw of the other families: avx512bw only adds 8- and 16-bit
// integer kernels, which float code never uses, and its integer select (reached from xsimd::log)
// does not compile at -O0 with GCC 12, whose _mm512_mask_blend_epi8 is a macro when not optimising;
// so debug and sanitizer builds would fail. The CPU check stays avx512bw (tensor/simd.cpp).
//
// GCC 12's _mm512_undefined_ps() (`__m512 __Y = __Y;`) trips -W(maybe-)uninitialized once inlined
// into sqrt/exp: a false positive fixed in GCC 13 (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)  // clang has no such warning, and warns of the unknown name
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#define SMALLNET_ARCH xsimd::avx512dq
#define SMALLNET_ARCH_NAMESPACE avx512
#include "tensor/arch/elementwise_impl.hpp"
