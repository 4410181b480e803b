// The element-wise kernels compiled for avx2 (flags in tensor/meson.build).
#define SMALLNET_ARCH xsimd::fma3<xsimd::avx2>
#define SMALLNET_ARCH_NAMESPACE avx2
#include "tensor/arch/elementwise_impl.hpp"
