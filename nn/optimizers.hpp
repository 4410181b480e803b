#pragma once
// Optimizers with Keras' defaults. Each updates all of a model's parameters in place in one
// vectorised pass over the contiguous parameter and gradient buffers; no graph is recorded.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/config.hpp"

#include "nn/learning_rate.hpp"
#include "nn/parameter_binding.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/tensor.hpp"

namespace smallnet {

class Optimizer {
public:
    virtual ~Optimizer() = default;
    virtual std::string name() const = 0;
    virtual std::unique_ptr<Optimizer> clone() const = 0;
    // One step: parameters -= update(gradients). Both are the model's flat buffers; the state is made
    // for `parameters` at the first step, and any other buffer is then refused (std::logic_error; see
    // nn/parameter_binding.hpp): a hand-written loop steps a model with Sequential::apply_gradients.
    virtual void step(Tensor& parameters, const Tensor& gradients) = 0;
    // One step on the gradient `gradients` + `more_gradients` (fit's two row blocks). This adds them into
    // `gradients`, then steps; Adam and AdamW add them in registers in their own pass and store no sum.
    virtual void step_on_sum(Tensor& parameters, Tensor& gradients, const Tensor& more_gradients);
    // Forgets the moments and the step count (a new fit starts afresh only if asked).
    virtual void reset() = 0;
    // Its type and settings, the learning rate (or its schedule, as a child) included: what a model
    // file stores (Model::save) and optimizer_from_config (nn/model_file.hpp) makes again.
    virtual Config config() const = 0;
    // What a resumed training needs besides iterations(): Adam's moments, SGD's velocity, each flat
    // over the model's trainable parameters, by name; empty before the first step.
    using State = std::vector<std::pair<std::string, Tensor>>;
    virtual State state() const = 0;
    // Puts back a state() and the step count; std::invalid_argument when a name is unknown or missing
    // or the sizes differ (the state of another model).
    virtual void set_state(std::int64_t iterations, const State& state) = 0;

    // The updates made so far (Keras' optimizer.iterations), and the learning rate the next one uses
    // (its schedule's value at that count).
    std::int64_t iterations() const { return steps_; }
    float learning_rate() const { return rate_.at(steps_); }
    // Sets a fixed learning rate from now on (what LearningRateScheduler and ReduceLROnPlateau do);
    // std::logic_error when the rate is a schedule, which owns it (as Keras refuses).
    void set_learning_rate(float value);
    const LearningRate& learning_rate_setting() const { return rate_; }

protected:
    explicit Optimizer(LearningRate rate) : rate_(std::move(rate)) {}
    LearningRate rate_;
    std::int64_t steps_ = 0;
    ParameterBinding binding_;  // the buffer the state is for
};

struct AdamOptions {
    LearningRate learning_rate = 1e-3f;  // a number or a schedule (nn/learning_rate.hpp)
    float beta1 = 0.9f;
    float beta2 = 0.999f;
    float epsilon = 1e-7f;  // Keras' default (PyTorch's is 1e-8), added to sqrt(v̂)
};

// Adam (Kingma and Ba, 2015) in Keras' formulation.
class Adam : public Optimizer {
public:
    explicit Adam(AdamOptions options = {}) : Optimizer(options.learning_rate), options_(options) {}
    std::string name() const override { return "Adam"; }
    std::unique_ptr<Optimizer> clone() const override { return std::make_unique<Adam>(*this); }
    void step(Tensor& parameters, const Tensor& gradients) override;
    void step_on_sum(Tensor& parameters, Tensor& gradients, const Tensor& more_gradients) override;
    void reset() override;
    Config config() const override;
    State state() const override;
    void set_state(std::int64_t iterations, const State& state) override;

protected:
    // Checks the buffers, makes the moments on the first step, counts the step, and returns its settings.
    AdamStep next_step(const Tensor& parameters, const Tensor& gradients, float weight_decay);
    AdamOptions options_;
    Tensor first_moment_, second_moment_;
};

struct AdamWOptions {
    LearningRate learning_rate = 1e-3f;
    float beta1 = 0.9f;
    float beta2 = 0.999f;
    float epsilon = 1e-7f;
    float weight_decay = 0.004f;  // Keras' default, decoupled from the gradient (Loshchilov and Hutter)
};

class AdamW : public Adam {
public:
    explicit AdamW(AdamWOptions options = {})
        : Adam({options.learning_rate, options.beta1, options.beta2, options.epsilon}),
          weight_decay_(options.weight_decay) {}
    std::string name() const override { return "AdamW"; }
    std::unique_ptr<Optimizer> clone() const override { return std::make_unique<AdamW>(*this); }
    void step(Tensor& parameters, const Tensor& gradients) override {
        adam_update(parameters, gradients, first_moment_, second_moment_, next_step(parameters, gradients, weight_decay_));
    }
    void step_on_sum(Tensor& parameters, Tensor& gradients, const Tensor& more_gradients) override {
        adam_update(parameters, gradients, more_gradients, first_moment_, second_moment_,
                    next_step(parameters, gradients, weight_decay_));
    }
    Config config() const override;

private:
    float weight_decay_;
};

struct SgdOptions {
    LearningRate learning_rate = 0.01f;
    float momentum = 0.0f;
    bool nesterov = false;
};

// Stochastic gradient descent with optional (Nesterov) momentum, as Keras' SGD.
class SGD : public Optimizer {
public:
    explicit SGD(SgdOptions options = {}) : Optimizer(options.learning_rate), options_(options) {}
    std::string name() const override { return "SGD"; }
    std::unique_ptr<Optimizer> clone() const override { return std::make_unique<SGD>(*this); }
    void step(Tensor& parameters, const Tensor& gradients) override;
    void reset() override {
        velocity_ = Tensor();
        steps_ = 0;
        binding_.reset();
    }
    Config config() const override;
    State state() const override;
    void set_state(std::int64_t iterations, const State& state) override;

private:
    SgdOptions options_;
    Tensor velocity_;
};

}  // namespace smallnet
