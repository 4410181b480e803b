// The convolution kernels for sse2 (tensor/arch/README.md).
#define SMALLNET_ARCH xsimd::sse2
#define SMALLNET_ARCH_NAMESPACE sse2
#include "tensor/arch/conv_impl.hpp"
