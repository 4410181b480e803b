#pragma once
// Var: a tensor value in the reverse-mode graph, with its gradient and the op that produced it.
//
// Ops on Vars (autograd/ops/*.hpp) record a Node with a backward rule; backward() on a scalar result
// walks the graph in reverse topological order (iteratively, so a graph 100,000 nodes deep works),
// adding each op's contribution to its inputs' gradients, then releases the graph. Gradients of
// leaves accumulate across backward() calls until zero_grad().

#include <memory>

#include "autograd/node.hpp"
#include "tensor/tensor.hpp"

namespace smallnet {

class Var {
public:
    // An empty Var (no node).
    Var() = default;
    // A leaf holding `value` (shared, not copied). Parameters are leaves that require a gradient.
    explicit Var(Tensor value, bool requires_grad = false);
    // The Var of an existing node (what ops return).
    explicit Var(std::shared_ptr<Node> node) : node_(std::move(node)) {}

    bool defined() const { return node_ != nullptr; }
    const Tensor& value() const { return node_->value; }
    Tensor& value() { return node_->value; }
    const Shape& shape() const { return node_->value.shape(); }
    bool requires_grad() const { return node_->requires_grad; }
    // "leaf" or the name of the op that made this value.
    const char* op_name() const { return node_->op_name; }
    Node& node() const { return *node_; }
    const std::shared_ptr<Node>& shared_node() const { return node_; }

    // Whether a gradient has been accumulated since the last zero_grad().
    bool has_grad() const { return node_->grad_present; }
    // The accumulated gradient (zeros when none has been yet), shaped like value().
    const Tensor& grad() const { return node_->gradient(); }
    // Forgets the gradient: the next backward() writes it instead of adding to it (no zeroing pass).
    void zero_grad() { node_->grad_present = false; }
    // Makes `storage` (shaped like value()) this leaf's gradient buffer, so a model can keep all its
    // gradients in one contiguous block.
    void bind_grad(Tensor storage);

    // Back-propagates from this one-element value (seed gradient 1).
    void backward();
    // Back-propagates with d(loss)/d(this) = output_gradient, which must have this value's shape.
    void backward(const Tensor& output_gradient);

    // A leaf sharing this value's tensor, cut from the graph, requiring no gradient.
    Var detach() const { return Var(node_->value, false); }

private:
    std::shared_ptr<Node> node_;
};

// While a NoGrad object lives (on this thread), ops record nothing: for inference and optimizer updates.
class NoGrad {
public:
    NoGrad();
    ~NoGrad();
    NoGrad(const NoGrad&) = delete;
    NoGrad& operator=(const NoGrad&) = delete;

private:
    bool previous_;
};

// Whether ops record the graph now (false inside a NoGrad scope).
bool grad_enabled();

}  // namespace smallnet
