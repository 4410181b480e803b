#include "autograd/ops/view.hpp"

#include "autograd/op.hpp"
#include "autograd/registry.hpp"
#include "tensor/elementwise.hpp"

namespace smallnet {

namespace {
// A view of x with another shape; the gradient flows back reshaped.
Var view_as(const char* op, const Var& x, const Shape& shape) {
    return make_result(op, x.value().reshape(shape), {&x}, [input_shape = x.shape()](Node& self) {
        auto target = self.gradient_target(0);
        const Tensor g = self.gradient().reshape(input_shape);
        if (target.accumulate) {
            axpy(1.0f, g, target.tensor);
        } else {
            target.tensor.copy_from(g);
        }
    });
}
}  // namespace

SMALLNET_REGISTER_OP("reshape");
Var reshape(const Var& x, const Shape& shape) { return view_as("reshape", x, shape); }

SMALLNET_REGISTER_OP("flatten");
Var flatten(const Var& x) {
    if (x.shape().rank() < 1) throw_shape_error("flatten", x.shape(), "a scalar has no batch axis");
    const std::int64_t batch = x.shape()[0];
    return view_as("flatten", x, Shape{batch, batch == 0 ? 0 : x.shape().numel() / batch});
}

SMALLNET_REGISTER_OP("rows");
Var rows(const Var& x, std::int64_t begin, std::int64_t end) {
    return make_result("rows", x.value().rows(begin, end), {&x}, [begin, end](Node& self) {
        auto target = self.gradient_target(0);
        if (!target.accumulate) target.tensor.fill(0.0f);  // rows outside the slice get no gradient
        Tensor slice = target.tensor.rows(begin, end);
        axpy(1.0f, self.gradient(), slice);
    });
}

}  // namespace smallnet
