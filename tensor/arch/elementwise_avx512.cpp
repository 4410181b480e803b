// The element-wise kernels compiled for avx512 (flags in tensor/meson.build).
// GCC 12's _mm512_undefined_ps() (`__m512 __Y = __Y;`) trips -Wmaybe-uninitialized once inlined into
// sqrt/exp: a false positive fixed in GCC 13 (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define SMALLNET_ARCH xsimd::avx512bw
#define SMALLNET_ARCH_NAMESPACE avx512
#include "tensor/arch/elementwise_impl.hpp"
