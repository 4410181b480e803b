#include "nn/optimizers.hpp"

#include <algorithm>
#include <initializer_list>
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

void Optimizer::step_on_sum(Tensor& parameters, Tensor& gradients, const Tensor& more_gradients) {
    axpy(1.0f, more_gradients, gradients);
    step(parameters, gradients);
}

void Adam::step(Tensor& parameters, const Tensor& gradients) {
    adam_update(parameters, gradients, first_moment_, second_moment_, next_step(parameters, gradients, 0.0f));
}

void Adam::step_on_sum(Tensor& parameters, Tensor& gradients, const Tensor& more_gradients) {
    adam_update(parameters, gradients, more_gradients, first_moment_, second_moment_, next_step(parameters, gradients, 0.0f));
}

AdamStep Adam::next_step(const Tensor& parameters, const Tensor& gradients, float weight_decay) {
    binding_.check(name(), parameters, gradients, first_moment_);
    ensure_state(first_moment_, parameters);
    ensure_state(second_moment_, parameters);
    const float rate = learning_rate();
    ++steps_;
    return {.learning_rate = rate, .beta1 = options_.beta1, .beta2 = options_.beta2, .epsilon = options_.epsilon,
            .weight_decay = weight_decay, .step = steps_};
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

namespace {

// The learning rate as a number field, or its schedule as the config's child.
Config with_learning_rate(Config config, const LearningRate& rate) {
    if (const LearningRateSchedule* schedule = rate.schedule()) config.children.push_back(schedule->config());
    else config.set("learning_rate", rate.value());
    return config;
}

// Checks that `state` holds exactly the tensors named in `names`, each of one size, and returns them in
// that order.
std::vector<Tensor> checked_state(const std::string& optimizer, const Optimizer::State& state,
                                  std::initializer_list<const char*> names) {
    std::vector<Tensor> out;
    for (const char* name : names) {
        const auto it = std::find_if(state.begin(), state.end(), [&](const auto& entry) { return entry.first == name; });
        if (it == state.end()) throw std::invalid_argument(optimizer + " state: tensor '" + name + "' is missing");
        if (it->second.shape().rank() != 1 || (!out.empty() && it->second.numel() != out.front().numel()))
            throw std::invalid_argument(optimizer + " state: tensor '" + name + "' has shape " + it->second.shape().to_string() +
                                        (out.empty() ? ", not a flat one" : ", not that of '" + std::string(*names.begin()) + "'"));
        out.push_back(it->second.clone());
    }
    for (const auto& entry : state)  // (clang 14 cannot capture a structured binding)
        if (std::find_if(names.begin(), names.end(), [&](const char* known) { return entry.first == known; }) == names.end())
            throw std::invalid_argument(optimizer + " state: unknown tensor '" + entry.first + "'");
    return out;
}

void check_iterations(const std::string& optimizer, std::int64_t iterations, bool has_state) {
    if (iterations < 0) throw std::invalid_argument(optimizer + " state: iterations must be >= 0");
    if (iterations > 0 && !has_state) throw std::invalid_argument(optimizer + " state: " + std::to_string(iterations) +
                                                                   " iterations made, but no moments");
}

}  // namespace

Config Adam::config() const {
    return with_learning_rate(Config(name()), rate_)
        .set("beta1", options_.beta1)
        .set("beta2", options_.beta2)
        .set("epsilon", options_.epsilon);
}

Config AdamW::config() const { return Adam::config().set("weight_decay", weight_decay_); }

Optimizer::State Adam::state() const {
    if (!first_moment_.defined()) return {};
    return {{"first_moment", first_moment_}, {"second_moment", second_moment_}};
}

void Adam::set_state(std::int64_t iterations, const State& state) {
    check_iterations(name(), iterations, !state.empty());
    if (state.empty()) {
        reset();
        return;
    }
    auto tensors = checked_state(name(), state, {"first_moment", "second_moment"});
    first_moment_ = std::move(tensors[0]);
    second_moment_ = std::move(tensors[1]);
    steps_ = iterations;
}

Config SGD::config() const {
    return with_learning_rate(Config(name()), rate_).set("momentum", options_.momentum).set("nesterov", options_.nesterov);
}

Optimizer::State SGD::state() const {
    if (!velocity_.defined()) return {};
    return {{"velocity", velocity_}};
}

void SGD::set_state(std::int64_t iterations, const State& state) {
    check_iterations(name(), iterations, !state.empty());
    if (state.empty()) {
        reset();
        return;
    }
    velocity_ = std::move(checked_state(name(), state, {"velocity"})[0]);
    steps_ = iterations;
}

}  // namespace smallnet
