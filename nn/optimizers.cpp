#include "nn/optimizers.hpp"

#include <stdexcept>

#include "tensor/creation.hpp"

namespace smallnet {

namespace {
// Moment buffers are created at the first step, when the parameter count is known (ParameterBinding
// has checked that the parameters are those of any state already there).
void ensure_state(Tensor& state, const Tensor& parameters) {
    if (!state.defined()) state = zeros(parameters.shape());
}
}  // namespace

void Optimizer::set_learning_rate(float value) {
    if (rate_.scheduled())
        throw std::logic_error(name() + ": the learning rate is set by its schedule, " + rate_.describe() +
                               "; it cannot also be set by hand or by a callback");
    rate_ = LearningRate(value);
}

void Adam::step(Tensor& parameters, const Tensor& gradients) { adam_step(parameters, gradients, 0.0f); }

void Adam::adam_step(Tensor& parameters, const Tensor& gradients, float weight_decay) {
    binding_.check(name(), parameters, gradients, first_moment_);
    ensure_state(first_moment_, parameters);
    ensure_state(second_moment_, parameters);
    const float rate = learning_rate();
    ++steps_;
    adam_update(parameters, gradients, first_moment_, second_moment_,
                {.learning_rate = rate, .beta1 = options_.beta1, .beta2 = options_.beta2,
                 .epsilon = options_.epsilon, .weight_decay = weight_decay, .step = steps_});
}

void Adam::reset() {
    first_moment_ = Tensor();
    second_moment_ = Tensor();
    steps_ = 0;
    binding_.reset();
}

void SGD::step(Tensor& parameters, const Tensor& gradients) {
    binding_.check(name(), parameters, gradients, velocity_);
    ensure_state(velocity_, parameters);
    const float rate = learning_rate();
    ++steps_;
    sgd_update(parameters, gradients, velocity_,
               {.learning_rate = rate, .momentum = options_.momentum, .nesterov = options_.nesterov});
}

}  // namespace smallnet
