#include "autograd/gradient_redirect.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace smallnet {

namespace {
GradientRedirect*& active() {
    thread_local GradientRedirect* redirect = nullptr;
    return redirect;
}
}  // namespace

GradientRedirect::GradientRedirect(std::vector<Tensor> gradients)
    : gradients_(std::move(gradients)), present_(gradients_.size(), 0) {}

Node::GradientTarget GradientRedirect::target(std::int32_t slot) {
    if (slot < 0 || static_cast<std::size_t>(slot) >= gradients_.size())
        throw std::logic_error("GradientRedirect: parameter slot " + std::to_string(slot) + " is not one of its " +
                               std::to_string(gradients_.size()));
    const auto index = static_cast<std::size_t>(slot);
    const bool accumulate = present_[index] != 0;
    present_[index] = 1;
    return {gradients_[index], accumulate};
}

void GradientRedirect::forget() { std::fill(present_.begin(), present_.end(), 0); }

void GradientRedirect::zero_missing() {
    for (std::size_t i = 0; i < gradients_.size(); ++i)
        if (!present_[i]) gradients_[i].fill(0.0f);
}

GradientRedirect* active_gradient_redirect() { return active(); }

RedirectGradients::RedirectGradients(GradientRedirect& redirect) : previous_(active()) { active() = &redirect; }
RedirectGradients::~RedirectGradients() { active() = previous_; }

}  // namespace smallnet
