#pragma once
// Learning rates that change as training goes on, as Keras' keras.optimizers.schedules: an optimizer
// takes a number or a schedule wherever it takes a learning rate,
//
//   Adam({.learning_rate = ExponentialDecay(1e-3, 1000, 0.9)})   // 1e-3 · 0.9^(step / 1000)
//   SGD({.learning_rate = CosineDecay(0.1, 5000)})
//
// A schedule is asked for the rate at the optimizer's step count (0 at the first update), so a
// schedule counts steps, not epochs; per-epoch changes are the callbacks LearningRateScheduler and
// ReduceLROnPlateau (nn/callbacks.hpp).

#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>

#include "nn/config.hpp"

namespace smallnet {

class LearningRateSchedule {
public:
    virtual ~LearningRateSchedule() = default;
    // The rate for the update made after `step` earlier updates.
    virtual double at(std::int64_t step) const = 0;
    // "ExponentialDecay(initial 0.001, decay_steps 1000, decay_rate 0.9)"
    virtual std::string describe() const = 0;
    // Its type and settings, for a model file (nn/model_file.hpp makes it again from them).
    virtual Config config() const = 0;
};

// initial · decay_rate^(step / decay_steps); with staircase, the exponent is rounded down (the rate
// drops in steps every decay_steps updates).
class ExponentialDecay : public LearningRateSchedule {
public:
    ExponentialDecay(double initial_learning_rate, std::int64_t decay_steps, double decay_rate, bool staircase = false);
    double at(std::int64_t step) const override;
    std::string describe() const override;
    Config config() const override;

private:
    double initial_;
    std::int64_t decay_steps_;
    double decay_rate_;
    bool staircase_;
};

// Cosine decay (Loshchilov and Hutter's SGDR without restarts): initial · ((1 - alpha) · c + alpha) with
// c = (1 + cos(pi · min(step, decay_steps) / decay_steps)) / 2: from initial down to alpha · initial
// over decay_steps updates, then flat.
class CosineDecay : public LearningRateSchedule {
public:
    CosineDecay(double initial_learning_rate, std::int64_t decay_steps, double alpha = 0.0);
    double at(std::int64_t step) const override;
    std::string describe() const override;
    Config config() const override;

private:
    double initial_;
    std::int64_t decay_steps_;
    double alpha_;
};

// What an optimizer's options hold: a fixed rate (a number converts to it) or a schedule.
class LearningRate {
public:
    LearningRate(float value);   // NOLINT: a number is a learning rate
    LearningRate(double value);  // NOLINT
    template <class Schedule, class = std::enable_if_t<std::is_base_of_v<LearningRateSchedule, Schedule>>>
    LearningRate(const Schedule& schedule)  // NOLINT: so is a schedule
        : schedule_(std::make_shared<Schedule>(schedule)) {}

    float at(std::int64_t step) const;
    bool scheduled() const { return schedule_ != nullptr; }
    // The fixed rate (when not scheduled) and the schedule (when scheduled).
    float value() const { return value_; }
    const LearningRateSchedule* schedule() const { return schedule_.get(); }
    // A rate that holds a schedule made elsewhere (a model file's).
    explicit LearningRate(std::shared_ptr<const LearningRateSchedule> schedule) : schedule_(std::move(schedule)) {}
    std::string describe() const;

private:
    float value_ = 0.0f;
    std::shared_ptr<const LearningRateSchedule> schedule_;  // immutable: copies of an optimizer share it
};

}  // namespace smallnet
