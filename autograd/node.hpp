#pragma once
// Node: one value of the computation graph: its tensor, its gradient, and the op that made it with
// that op's inputs (parents) and backward rule.
//
// Users hold Nodes through Var (autograd/var.hpp); ops create them with make_result (autograd/op.hpp).

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>

#include "tensor/tensor.hpp"

namespace smallnet {

namespace detail {
extern std::atomic<std::int64_t> live_nodes;
}  // namespace detail

// Nodes alive now, in all threads: how tests see that training steps free their graphs.
std::int64_t live_node_count();

class Node {
public:
    static constexpr int max_parents = 3;

    Node(Tensor value, bool requires_grad, const char* op_name)
        : value(std::move(value)), requires_grad(requires_grad), op_name(op_name) {
        detail::live_nodes.fetch_add(1, std::memory_order_relaxed);
    }
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;
    virtual ~Node();

    // Adds d(output)/d(parent) · grad to every parent that requires a gradient. Leaves do nothing.
    virtual void backward() {}
    // Drops what the backward rule captured (saved tensors), once it has run or will never run.
    virtual void release_saved() {}

    // Where parent `index`'s gradient goes: its buffer (allocated on first use) and whether the value
    // written must be added to what is there (true) or may overwrite it (false, the first gradient
    // since zero_grad: no zeroing pass is needed). Marks the parent's gradient as present.
    struct GradientTarget {
        Tensor& tensor;
        bool accumulate;
    };
    GradientTarget gradient_target(int index);
    // Gives parent `index` the gradient `value` (shaped like its value), computed ahead by the forward
    // pass: shared, not copied, when the parent holds no gradient yet and is an op's result; copied (or
    // added) into a leaf's buffer, which may be a view into a model's gradient block.
    void give_gradient(int index, const Tensor& value);
    // Whether parent `index` exists and wants a gradient.
    bool parent_needs_grad(int index) const { return parents[index] && parents[index]->requires_grad; }
    const Node& parent(int index) const { return *parents[index]; }
    // The gradient of this node, with zeros filled in when none has been accumulated yet.
    const Tensor& gradient();

    Tensor value;
    Tensor grad;              // gradient storage; may be a view into a model's gradient buffer
    bool grad_present = false;  // false: `grad` holds no gradient since zero_grad (reads as zeros)
    bool requires_grad;
    bool released = false;    // backward has run through this node and dropped its graph
    const char* op_name;      // "leaf" or the op's name
    std::uint64_t visit_mark = 0;  // for the topological sort of backward()
    // A model's parameter: its index in the model's parameter store, through which a GradientRedirect
    // (autograd/gradient_redirect.hpp) finds where its gradient goes; -1 for any other value.
    std::int32_t parameter_slot = -1;
    std::array<std::shared_ptr<Node>, max_parents> parents{};
};

}  // namespace smallnet
