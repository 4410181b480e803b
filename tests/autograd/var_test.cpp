#include <stdexcept>

#include "tests/support.hpp"
#include "autograd/autograd.hpp"
#include "autograd/op.hpp"
#include "tensor/elementwise.hpp"

using namespace smallnet;

TEST_SUITE("autograd.var") {

TEST_CASE("a value used twice gets the sum of both gradients") {
    Var x(full(Shape{3}, 2.0f), true);
    Var y = sum(x * x + x);  // dy/dx = 2x + 1 = 5
    y.backward();
    for (float g : x.grad().values()) CHECK(g == 5.0f);
}

TEST_CASE("gradients accumulate across backward calls until zero_grad") {
    Var x(full(Shape{2}, 1.0f), true);
    sum(x * 3.0f).backward();
    sum(x * 3.0f).backward();
    CHECK(x.grad().at({0}) == 6.0f);
    x.zero_grad();
    CHECK_FALSE(x.has_grad());
    CHECK(x.grad().at({1}) == 0.0f);  // reads as zeros
    sum(x * 2.0f).backward();
    CHECK(x.grad().at({1}) == 2.0f);
}

TEST_CASE("NoGrad records nothing; detach cuts the graph") {
    Var x(full(Shape{2}, 1.0f), true);
    {
        NoGrad scope;
        CHECK_FALSE(grad_enabled());
        Var y = x * 2.0f;
        CHECK_FALSE(y.requires_grad());
        CHECK(std::string(y.op_name()) == "leaf");
    }
    CHECK(grad_enabled());
    Var d = (x * 2.0f).detach();
    CHECK_FALSE(d.requires_grad());
    CHECK(d.value().at({0}) == 2.0f);
    Var y = x * 2.0f;
    CHECK(y.requires_grad());
    CHECK(std::string(y.op_name()) == "mul_scalar");
}

TEST_CASE("a chain 100,000 ops deep goes backward and is freed without overflowing the stack") {
    Var x(full(Shape{1}, 1.0f), true);
    Var y = x;
    for (int i = 0; i < 100000; ++i) y = y + 1.0f;
    CHECK(y.value().item() == 100001.0f);
    y.backward();
    CHECK(x.grad().item() == 1.0f);
    // And a deep graph dropped without backward is freed iteratively too.
    Var z = x;
    for (int i = 0; i < 100000; ++i) z = z * 1.0f;
    z = Var();
}

TEST_CASE("backward releases the graph: saved tensors are freed and a second backward is refused") {
    Var x(full(Shape{2}, 3.0f), true);
    Var y = sum(x * x);
    y.backward();
    CHECK_THROWS_WITH_AS(y.backward(), "backward: the graph through 'sum' was already released by an earlier backward()",
                         std::logic_error);
}

TEST_CASE("backward of a non-scalar needs an output gradient, of the value's shape") {
    Var x(full(Shape{2, 3}, 1.0f), true);
    Var y = x * 2.0f;
    CHECK_THROWS_WITH_AS(y.backward(),
                         "backward: shape [2, 3]: backward() without an output gradient needs a one-element value "
                         "(a loss); pass the gradient of a larger one explicitly",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(y.backward(ones(Shape{3, 2})),
                         "backward: shape [2, 3] and shape [3, 2]: the output gradient must have the value's shape",
                         std::invalid_argument);
    y.backward(full(Shape{2, 3}, 0.5f));
    CHECK(x.grad().at({1, 2}) == 1.0f);
}

TEST_CASE("shape errors in ops name the op and both shapes") {
    Var a(zeros(Shape{2, 3}), true), b(zeros(Shape{4, 5}), true);
    CHECK_THROWS_WITH_AS(matmul(a, b), "matmul: shape [2, 3] and shape [4, 5]: inner dimensions 3 and 4 differ",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(a + Var(zeros(Shape{4}), true), "add: shape [2, 3] and shape [4]: cannot broadcast",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(mean_squared_error(a, zeros(Shape{3, 2})),
                         "mean_squared_error: shape [2, 3] and shape [3, 2]: the prediction and the target must have one shape",
                         std::invalid_argument);
}

TEST_CASE("a gradient bound to an outside buffer is written there") {
    Tensor arena = full(Shape{5}, 99.0f);
    Var w(ones(Shape{2}), true);
    w.bind_grad(arena.rows(1, 3));
    sum(w * 4.0f).backward();  // first gradient: written over the stale 99s, no zeroing pass
    CHECK(arena.at({0}) == 99.0f);
    CHECK(arena.at({1}) == 4.0f);
    CHECK(arena.at({2}) == 4.0f);
    CHECK(arena.at({3}) == 99.0f);
}

TEST_CASE("gradcheck reports a wrong backward with the worst element") {
    // An op whose backward is deliberately off by a factor 2 on one input.
    auto wrong_square = [](const std::vector<Var>& v) {
        const Var& x = v[0];
        Tensor y = mul(x.value(), x.value());
        return make_result("wrong_square", y, {&x}, [x = x.value()](Node& self) {
            auto target = self.gradient_target(0);
            Tensor g = mul(self.gradient(), x);  // should be 2 x g
            if (target.accumulate) axpy(1.0f, g, target.tensor); else target.tensor.copy_from(g);
        });
    };
    const GradcheckResult result = gradcheck(wrong_square, {full(Shape{3}, 1.5f)});
    CHECK_FALSE(result.passed);
    CHECK(result.input == 0);
    CHECK(result.analytic == doctest::Approx(result.numeric / 2).epsilon(0.01));
    CHECK(result.message.find("FAILED: input 0 element") == 0);
}

}  // TEST_SUITE
