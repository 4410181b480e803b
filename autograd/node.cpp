#include "autograd/node.hpp"

#include <vector>

namespace smallnet {

namespace {
// A graph 100,000 nodes deep would overflow the stack if each node's destructor destroyed its parent
// recursively; instead parents go to a per-thread list that the outermost destructor empties.
thread_local std::vector<std::shared_ptr<Node>> nodes_to_release;
thread_local bool releasing_nodes = false;
}  // namespace

namespace detail {
std::atomic<std::int64_t> live_nodes{0};
}  // namespace detail

std::int64_t live_node_count() { return detail::live_nodes.load(std::memory_order_relaxed); }

Node::~Node() {
    detail::live_nodes.fetch_sub(1, std::memory_order_relaxed);
    for (auto& parent : parents)
        if (parent) nodes_to_release.push_back(std::move(parent));
    if (releasing_nodes) return;
    releasing_nodes = true;
    while (!nodes_to_release.empty()) {
        std::shared_ptr<Node> last = std::move(nodes_to_release.back());
        nodes_to_release.pop_back();
        last.reset();  // may push its own parents
    }
    releasing_nodes = false;
}

Node::GradientTarget Node::gradient_target(int index) {
    Node& target = *parents[index];
    if (!target.grad.defined() || target.grad.shape() != target.value.shape()) target.grad = Tensor(target.value.shape());
    const bool accumulate = target.grad_present;
    target.grad_present = true;
    return {target.grad, accumulate};
}

const Tensor& Node::gradient() {
    if (!grad.defined() || grad.shape() != value.shape()) grad = Tensor(value.shape());
    if (!grad_present) {
        grad.fill(0.0f);
        grad_present = true;
    }
    return grad;
}

}  // namespace smallnet
