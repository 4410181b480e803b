// The convolution kernels for avx512 (tensor/arch/README.md). xsimd::avx512dq, as the element-wise
// family, because the epilogue's softplus reaches xsimd::log (the CPU check stays avx512bw).
#define SMALLNET_ARCH xsimd::avx512dq
#define SMALLNET_ARCH_NAMESPACE avx512
#include "tensor/arch/conv_impl.hpp"
