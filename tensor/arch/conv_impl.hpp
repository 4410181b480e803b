// The convolution kernels of one instruction set, gathered into that set's table. Compiled only by
// tensor/arch/conv_<set>.cpp, which defines SMALLNET_ARCH and SMALLNET_ARCH_NAMESPACE; all the code
// sits in that set's namespace (see tensor/arch/README.md for why).

#if !defined(SMALLNET_ARCH) || !defined(SMALLNET_ARCH_NAMESPACE)
#error "conv_impl.hpp is included by conv_<set>.cpp after defining SMALLNET_ARCH and SMALLNET_ARCH_NAMESPACE"
#endif

// GCC 12's _mm512_undefined_ps() (`__m512 __Y = __Y;`), inlined into xsimd's exp and friends, trips
// -W(maybe-)uninitialized: a false positive fixed in GCC 13 (GCC bug 105593).
#pragma GCC diagnostic push
#if !defined(__clang__)  // clang has no such warning, and warns of the unknown name
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#pragma GCC diagnostic ignored "-Wuninitialized"

#include "tensor/arch/conv_dot_impl.hpp"
#include "tensor/arch/conv_gradient_impl.hpp"
#include "tensor/arch/conv_planar_impl.hpp"
#include "tensor/arch/conv_pool_impl.hpp"

namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE {

extern const ConvKernels conv_table;
const ConvKernels conv_table = {
    .max_pool_image = conv::max_pool_image,
    .max_pool_backward_image = conv::max_pool_backward_image,
    .upsample_image = conv::upsample_image,
    .upsample_backward_image = conv::upsample_backward_image,
    .product_tiling = conv::product_tiling,
    .product_scratch = conv::product_scratch,
    .planar_images = conv::planar_images,
    .dot_channels = conv::lanes,
    .dot_scratch = conv::dot_scratch,
    .dot_image = conv::dot_image,
    .gradient_tiling = conv::gradient_tiling,
    .gradient_scratch = conv::gradient_scratch,
    .gradient_image = conv::gradient_image,
};

}  // namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE

#pragma GCC diagnostic pop
