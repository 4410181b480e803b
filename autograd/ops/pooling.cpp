#include "autograd/ops/pooling.hpp"

#include "autograd/op.hpp"
#include "autograd/registry.hpp"
#include "tensor/pooling.hpp"
#include "tensor/tensor.hpp"

namespace smallnet {

SMALLNET_REGISTER_OP("max_pool2d");
Var max_pool2d(const Var& x, std::int64_t pool_height, std::int64_t pool_width, const Pool2dOptions& o) {
    if (x.shape().rank() != 4)
        throw_shape_error("max_pool2d", x.shape(), "the input must be rank 4 [batch, height, width, channels]");
    const Pool2dGeometry g = Pool2dGeometry::make(x.shape(), pool_height, pool_width,
                                                  o.stride_height > 0 ? o.stride_height : pool_height,
                                                  o.stride_width > 0 ? o.stride_width : pool_width, o.padding);
    Tensor y(g.output_shape());
    max_pool2d_forward(g, x.value().data(), y.data());
    return make_result("max_pool2d", y, {&x}, [g, x = x.value(), y](Node& self) {
        auto target = self.gradient_target(0);
        max_pool2d_backward(g, x.data(), y.data(), self.gradient().data(), target.tensor.data(), target.accumulate);
    });
}

SMALLNET_REGISTER_OP("upsampling2d");
Var upsampling2d(const Var& x, std::int64_t factor_height, std::int64_t factor_width) {
    const Shape& s = x.shape();
    Tensor y(upsampling2d_output_shape(s, factor_height, factor_width));
    upsampling2d_forward(s, factor_height, factor_width, x.value().data(), y.data());
    return make_result("upsampling2d", y, {&x}, [s, factor_height, factor_width](Node& self) {
        auto target = self.gradient_target(0);
        upsampling2d_backward(s, factor_height, factor_width, self.gradient().data(), target.tensor.data(),
                              target.accumulate);
    });
}

}  // namespace smallnet
