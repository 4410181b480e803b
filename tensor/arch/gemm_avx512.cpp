// The GEMM kernels for avx512 (tensor/arch/README.md).
#define SMALLNET_ARCH xsimd::avx512bw
#define SMALLNET_ARCH_NAMESPACE avx512
#include "tensor/arch/gemm_impl.hpp"
