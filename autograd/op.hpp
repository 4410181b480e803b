#pragma once
// make_result: how an op records itself in the graph. An op computes its value, then calls
//
//     return make_result("relu", y, {&x}, [y](Node& self) { ...backward rule... });
//
// with the backward rule written directly beneath the forward. The rule receives the result's node:
// self.gradient() is d(loss)/d(result); self.gradient_target(i) is where input i's gradient goes.
// The lambda captures only the tensors the rule needs (tensors share storage: no copies); inputs are
// kept as graph links. When no input requires a gradient, or inside NoGrad, nothing is recorded.

#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "autograd/node.hpp"
#include "autograd/var.hpp"

namespace smallnet {

namespace detail {

template <class Backward>
class OpNode final : public Node {
public:
    OpNode(Tensor value, const char* op_name, Backward&& rule)
        : Node(std::move(value), true, op_name), rule_(std::move(rule)) {}
    void backward() override { (*rule_)(*this); }
    void release_saved() override { rule_.reset(); }

private:
    std::optional<Backward> rule_;
};

}  // namespace detail

template <class Backward>
Var make_result(const char* op_name, Tensor value, std::initializer_list<const Var*> inputs, Backward&& rule) {
    if (inputs.size() > static_cast<std::size_t>(Node::max_parents))
        throw std::logic_error(std::string(op_name) + ": an op records at most 3 inputs");
    bool any_requires_grad = false;
    for (const Var* input : inputs) any_requires_grad |= input && input->defined() && input->requires_grad();
    if (!any_requires_grad || !grad_enabled()) return Var(std::move(value), false);

    auto node = std::make_shared<detail::OpNode<std::decay_t<Backward>>>(std::move(value), op_name,
                                                                         std::forward<Backward>(rule));
    int index = 0;
    for (const Var* input : inputs) {
        if (input && input->defined()) node->parents[index] = input->shared_node();
        ++index;
    }
    return Var(std::move(node));
}

}  // namespace smallnet
