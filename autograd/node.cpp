#include "autograd/node.hpp"

#include <algorithm>
#include <vector>

#include "autograd/gradient_redirect.hpp"
#include "tensor/elementwise.hpp"

namespace smallnet {

namespace {
// A graph 100,000 nodes deep would overflow the stack if each node's destructor destroyed its parent
// recursively; instead parents go to a per-thread list that the outermost destructor empties.
// (One thread_local struct, reached once per destructor: each thread_local access from a shared
// library is a call.)
struct ReleaseQueue {
    std::vector<std::shared_ptr<Node>> nodes;
    bool releasing = false;
};

ReleaseQueue& release_queue() {
    thread_local ReleaseQueue queue;
    return queue;
}
}  // namespace

namespace detail {
std::atomic<std::int64_t> live_nodes{0};
}  // namespace detail

std::int64_t live_node_count() { return detail::live_nodes.load(std::memory_order_relaxed); }

Node::~Node() {
    detail::live_nodes.fetch_sub(1, std::memory_order_relaxed);
    ReleaseQueue& queue = release_queue();
    for (auto& parent : parents)
        if (parent) queue.nodes.push_back(std::move(parent));
    if (queue.releasing) return;
    queue.releasing = true;
    while (!queue.nodes.empty()) {
        std::shared_ptr<Node> last = std::move(queue.nodes.back());
        queue.nodes.pop_back();
        last.reset();  // may push its own parents
    }
    queue.releasing = false;
}

Node::GradientTarget Node::gradient_target(int index) {
    Node& target = *parents[index];
    if (target.parameter_slot >= 0)
        if (GradientRedirect* redirect = active_gradient_redirect()) return redirect->target(target.parameter_slot);
    if (!target.grad.defined() || target.grad.shape() != target.value.shape()) target.grad = Tensor(target.value.shape());
    const bool accumulate = target.grad_present;
    target.grad_present = true;
    return {target.grad, accumulate};
}

void Node::give_gradient(int index, const Tensor& value) {
    Node& target = *parents[index];
    const bool leaf = std::all_of(target.parents.begin(), target.parents.end(), [](const auto& p) { return p == nullptr; });
    if (!leaf && !target.grad_present) {  // a leaf's flag may be another thread's (GradientRedirect)
        target.grad = value;
        target.grad_present = true;
        return;
    }
    auto destination = gradient_target(index);
    if (destination.accumulate) axpy(1.0f, value, destination.tensor);
    else destination.tensor.copy_from(value);
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
