#include "autograd/ops/arithmetic.hpp"

#include "autograd/op.hpp"
#include "autograd/registry.hpp"
#include "tensor/elementwise.hpp"

namespace smallnet {

namespace {
// Adds `gradient` (shaped like the op's output) to input `index`, summed back over the dimensions
// that input was broadcast along; multiplied by `sign`.
void propagate_broadcast(Node& self, int index, const Tensor& gradient, float sign = 1.0f) {
    if (!self.parent_needs_grad(index)) return;
    auto target = self.gradient_target(index);
    if (sign == 1.0f) {
        sum_to(gradient, target.tensor, target.accumulate);
    } else {
        sum_to(binary(BinaryOp::mul, gradient, sign), target.tensor, target.accumulate);
    }
}
}  // namespace

SMALLNET_REGISTER_OP("add");
Var add(const Var& a, const Var& b) {
    return make_result("add", add(a.value(), b.value()), {&a, &b}, [](Node& self) {
        propagate_broadcast(self, 0, self.gradient());
        propagate_broadcast(self, 1, self.gradient());
    });
}

SMALLNET_REGISTER_OP("sub");
Var sub(const Var& a, const Var& b) {
    return make_result("sub", sub(a.value(), b.value()), {&a, &b}, [](Node& self) {
        propagate_broadcast(self, 0, self.gradient());
        propagate_broadcast(self, 1, self.gradient(), -1.0f);
    });
}

SMALLNET_REGISTER_OP("mul");
Var mul(const Var& a, const Var& b) {
    return make_result("mul", mul(a.value(), b.value()), {&a, &b},
                       [a = a.value(), b = b.value()](Node& self) {
                           // d(a*b)/da = b, d(a*b)/db = a
                           if (self.parent_needs_grad(0)) propagate_broadcast(self, 0, mul(self.gradient(), b));
                           if (self.parent_needs_grad(1)) propagate_broadcast(self, 1, mul(self.gradient(), a));
                       });
}

SMALLNET_REGISTER_OP("div");
Var div(const Var& a, const Var& b) {
    Tensor y = div(a.value(), b.value());
    return make_result("div", y, {&a, &b}, [b = b.value(), y](Node& self) {
        // d(a/b)/da = 1/b, d(a/b)/db = -a/b² = -y/b
        if (self.parent_needs_grad(0)) propagate_broadcast(self, 0, div(self.gradient(), b));
        if (self.parent_needs_grad(1)) propagate_broadcast(self, 1, mul(self.gradient(), div(y, b)), -1.0f);
    });
}

SMALLNET_REGISTER_OP("neg");
Var neg(const Var& x) {
    return make_result("neg", neg(x.value()), {&x}, [](Node& self) {
        propagate_broadcast(self, 0, self.gradient(), -1.0f);
    });
}

SMALLNET_REGISTER_OP("add_scalar");
Var add(const Var& a, float b) {
    return make_result("add_scalar", binary(BinaryOp::add, a.value(), b), {&a}, [](Node& self) {
        propagate_broadcast(self, 0, self.gradient());
    });
}

SMALLNET_REGISTER_OP("mul_scalar");
Var mul(const Var& a, float b) {
    return make_result("mul_scalar", binary(BinaryOp::mul, a.value(), b), {&a}, [b](Node& self) {
        propagate_broadcast(self, 0, self.gradient(), b);
    });
}

Var operator+(const Var& a, const Var& b) { return add(a, b); }
Var operator-(const Var& a, const Var& b) { return sub(a, b); }
Var operator*(const Var& a, const Var& b) { return mul(a, b); }
Var operator/(const Var& a, const Var& b) { return div(a, b); }
Var operator-(const Var& x) { return neg(x); }
Var operator+(const Var& a, float b) { return add(a, b); }
Var operator-(const Var& a, float b) { return add(a, -b); }
Var operator*(const Var& a, float b) { return mul(a, b); }
Var operator/(const Var& a, float b) { return mul(a, 1.0f / b); }
Var operator*(float a, const Var& b) { return mul(b, a); }

}  // namespace smallnet
