#include "autograd/ops/softmax.hpp"

#include "autograd/op.hpp"
#include "autograd/registry.hpp"
#include "tensor/softmax.hpp"

namespace smallnet {

SMALLNET_REGISTER_OP("softmax");
Var softmax(const Var& x) {
    Tensor y(x.shape());
    softmax(x.value(), y);
    return make_result("softmax", y, {&x}, [y](Node& self) {
        auto target = self.gradient_target(0);
        softmax_backward(y, self.gradient(), target.tensor, target.accumulate);
    });
}

}  // namespace smallnet
