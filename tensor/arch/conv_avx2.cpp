// The convolution kernels for avx2 (tensor/arch/README.md).
#define SMALLNET_ARCH xsimd::fma3<xsimd::avx2>
#define SMALLNET_ARCH_NAMESPACE avx2
#include "tensor/arch/conv_impl.hpp"
