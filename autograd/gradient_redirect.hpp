#pragma once
// GradientRedirect: while one is active on a thread, the gradients that thread's backward passes give
// to a model's parameters go into buffers of its own instead of the parameters'. This is how fit
// computes the gradients of a batch's row blocks at the same time on different threads, each block
// into its own buffer, and then adds the buffers in a fixed order.
//
// A parameter is reached through its slot (Node::parameter_slot), which the model's parameter store
// sets; leaves without a slot (inputs, frozen weights) are not redirected.

#include <cstdint>
#include <vector>

#include "autograd/node.hpp"
#include "tensor/tensor.hpp"

namespace smallnet {

class GradientRedirect {
public:
    GradientRedirect() = default;
    // One buffer per parameter slot, shaped like that parameter (views into one block, usually).
    explicit GradientRedirect(std::vector<Tensor> gradients);

    // Where the gradient of the parameter in `slot` goes, as Node::gradient_target.
    Node::GradientTarget target(std::int32_t slot);
    // Marks every buffer empty: the next backward writes instead of adding (as zero_grad).
    void forget();
    // Fills with zeros the buffers no backward wrote since forget() (parameters the loss did not reach).
    void zero_missing();

private:
    std::vector<Tensor> gradients_;
    std::vector<char> present_;
};

// The redirect active on this thread, or null.
GradientRedirect* active_gradient_redirect();

// Makes `redirect` active on this thread for the scope's lifetime (scopes nest).
class RedirectGradients {
public:
    explicit RedirectGradients(GradientRedirect& redirect);
    ~RedirectGradients();
    RedirectGradients(const RedirectGradients&) = delete;
    RedirectGradients& operator=(const RedirectGradients&) = delete;

private:
    GradientRedirect* previous_;
};

}  // namespace smallnet
