#include "autograd/ops/reduce.hpp"

#include "autograd/op.hpp"
#include "autograd/registry.hpp"
#include "tensor/elementwise.hpp"

namespace smallnet {

namespace {
// dx += scale · g broadcast back over the reduced axes; `g` is shaped as the reduction with keepdims.
void spread_gradient(Node& self, const Tensor& g_keepdims, float scale) {
    auto target = self.gradient_target(0);
    if (!target.accumulate) target.tensor.fill(0.0f);
    if (scale == 1.0f) {
        binary(BinaryOp::add, target.tensor, g_keepdims, target.tensor);
    } else {
        binary(BinaryOp::add, target.tensor, binary(BinaryOp::mul, g_keepdims, scale), target.tensor);
    }
}

Shape keepdims_shape(const Shape& shape, int axis) {
    Shape kept = shape;
    kept[axis] = 1;
    return kept;
}

Var reduce_all(const char* name, const Var& x, bool average) {
    const float scale = average ? 1.0f / static_cast<float>(x.value().numel()) : 1.0f;
    Tensor y = average ? mean(x.value()) : sum(x.value());
    return make_result(name, y, {&x}, [scale](Node& self) { spread_gradient(self, self.gradient(), scale); });
}

Var reduce_axis(const char* name, const Var& x, int axis, bool keepdims, bool average) {
    axis = x.shape().normalize_axis(axis);
    const float scale = average ? 1.0f / static_cast<float>(x.shape()[axis]) : 1.0f;
    Tensor y = average ? mean(x.value(), axis, keepdims) : sum(x.value(), axis, keepdims);
    return make_result(name, y, {&x}, [scale, kept = keepdims_shape(x.shape(), axis)](Node& self) {
        spread_gradient(self, self.gradient().reshape(kept), scale);
    });
}
}  // namespace

SMALLNET_REGISTER_OP("sum");
Var sum(const Var& x) { return reduce_all("sum", x, false); }
SMALLNET_REGISTER_OP("mean");
Var mean(const Var& x) { return reduce_all("mean", x, true); }
SMALLNET_REGISTER_OP("sum_axis");
Var sum(const Var& x, int axis, bool keepdims) { return reduce_axis("sum_axis", x, axis, keepdims, false); }
SMALLNET_REGISTER_OP("mean_axis");
Var mean(const Var& x, int axis, bool keepdims) { return reduce_axis("mean_axis", x, axis, keepdims, true); }

}  // namespace smallnet
