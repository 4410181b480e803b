#include "autograd/ops/view.hpp"

#include "autograd/op.hpp"
#include "autograd/registry.hpp"
#include "tensor/elementwise.hpp"

namespace smallnet {

SMALLNET_REGISTER_OP("reshape");
Var reshape(const Var& x, const Shape& shape) {
    return make_result("reshape", x.value().reshape(shape), {&x}, [input_shape = x.shape()](Node& self) {
        auto target = self.gradient_target(0);
        const Tensor g = self.gradient().reshape(input_shape);
        if (target.accumulate) {
            axpy(1.0f, g, target.tensor);
        } else {
            target.tensor.copy_from(g);
        }
    });
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
