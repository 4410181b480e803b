// The element-wise kernels compiled for sse2 (flags in tensor/meson.build).
#define SMALLNET_ARCH xsimd::sse2
#define SMALLNET_ARCH_NAMESPACE sse2
#include "tensor/arch/elementwise_impl.hpp"
