#include "autograd/var.hpp"

#include <stdexcept>
#include <vector>

namespace smallnet {

namespace {

thread_local bool recording = true;

// backward()'s per-thread working lists, kept between calls so that a steady stream of steps allocates
// nothing. Reached through one reference per call: every access to a thread_local of a shared library
// is a call to __tls_get_addr, and the loops below would make a hundred of them per step.
struct BackwardScratch {
    std::uint64_t last_visit_mark = 0;
    std::vector<Node*> topological_order;
    std::vector<std::pair<Node*, int>> visit_stack;
};

BackwardScratch& backward_scratch() {
    thread_local BackwardScratch scratch;
    return scratch;
}

bool is_leaf(const Node& node) {
    for (const auto& parent : node.parents)
        if (parent) return false;
    return true;
}

// Nodes reachable from `root` that need a gradient, parents before children (iterative DFS), into
// scratch.topological_order.
void sort_topologically(Node* root, BackwardScratch& scratch) {
    const std::uint64_t mark = ++scratch.last_visit_mark;
    std::vector<Node*>& order = scratch.topological_order;
    std::vector<std::pair<Node*, int>>& stack = scratch.visit_stack;
    order.clear();
    stack.clear();
    root->visit_mark = mark;
    stack.emplace_back(root, 0);
    while (!stack.empty()) {
        auto& [node, next_parent] = stack.back();
        if (next_parent < Node::max_parents) {
            Node* parent = node->parents[next_parent++].get();
            // Leaves (parameters, inputs) have nothing to propagate and are left out, so that threads
            // running backward over graphs that share parameters never write to the same node.
            if (parent && parent->requires_grad && !is_leaf(*parent) && parent->visit_mark != mark) {
                parent->visit_mark = mark;
                stack.emplace_back(parent, 0);
            }
        } else {
            order.push_back(node);
            stack.pop_back();
        }
    }
}

}  // namespace

Var::Var(Tensor value, bool requires_grad)
    : node_(std::make_shared<Node>(std::move(value), requires_grad, "leaf")) {}

void Var::bind_grad(Tensor storage) {
    if (storage.shape() != shape()) throw_shape_error("bind_grad", shape(), storage.shape(), "shapes differ");
    node_->grad = std::move(storage);
}

void Var::backward() {
    if (!defined()) throw std::logic_error("backward: called on an empty Var");
    if (value().numel() != 1)
        throw_shape_error("backward", shape(),
                          "backward() without an output gradient needs a one-element value (a loss); "
                          "pass the gradient of a larger one explicitly");
    Tensor seed(shape());
    seed.fill(1.0f);
    backward(seed);
}

void Var::backward(const Tensor& output_gradient) {
    if (!defined()) throw std::logic_error("backward: called on an empty Var");
    if (output_gradient.shape() != shape())
        throw_shape_error("backward", shape(), output_gradient.shape(), "the output gradient must have the value's shape");
    Node* root = node_.get();
    if (root->released)
        throw std::logic_error(std::string("backward: the graph through '") + root->op_name +
                               "' was already released by an earlier backward()");
    if (!root->requires_grad) throw std::logic_error("backward: this value does not depend on anything that requires a gradient");

    BackwardScratch& scratch = backward_scratch();
    sort_topologically(root, scratch);
    const std::vector<Node*>& topological_order = scratch.topological_order;
    if (!root->grad.defined() || root->grad.shape() != shape()) root->grad = Tensor(shape());
    if (root->grad_present) {
        Tensor sum = root->grad;  // rare: the root already had a gradient; add the new one
        for (std::int64_t i = 0; i < sum.numel(); ++i) sum.data()[i] += output_gradient.data()[i];
    } else {
        root->grad.copy_from(output_gradient);
        root->grad_present = true;
    }

    // Children before parents: each node's gradient is complete before it is propagated.
    for (auto it = topological_order.rbegin(); it != topological_order.rend(); ++it) {
        Node* node = *it;
        if (is_leaf(*node)) continue;
        if (node->grad_present) node->backward();
        node->release_saved();
        node->released = true;
        // An intermediate's gradient is not kept after it has been propagated (as in PyTorch).
        node->grad = Tensor();
        node->grad_present = false;
    }
    // Release the graph parents-first: dropping a node's links can only free nodes before it in
    // this order, which are already done with.
    for (Node* node : topological_order)
        for (auto& parent : node->parents) parent.reset();
}

NoGrad::NoGrad() : previous_(recording) { recording = false; }
NoGrad::~NoGrad() { recording = previous_; }
bool grad_enabled() { return recording; }

}  // namespace smallnet
