#include "nn/learning_rate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <stdexcept>

namespace smallnet {

namespace {

std::string number(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return text;
}

void check_rate(const char* what, double rate) {
    if (!(rate >= 0.0) || !std::isfinite(rate))
        throw std::invalid_argument(std::string(what) + ": the learning rate must be a finite number >= 0, got " + number(rate));
}

}  // namespace

ExponentialDecay::ExponentialDecay(double initial_learning_rate, std::int64_t decay_steps, double decay_rate, bool staircase)
    : initial_(initial_learning_rate), decay_steps_(decay_steps), decay_rate_(decay_rate), staircase_(staircase) {
    check_rate("ExponentialDecay", initial_learning_rate);
    if (decay_steps < 1) throw std::invalid_argument("ExponentialDecay: decay_steps must be at least 1, got " + std::to_string(decay_steps));
    if (!(decay_rate > 0.0) || !std::isfinite(decay_rate))
        throw std::invalid_argument("ExponentialDecay: decay_rate must be a positive number, got " + number(decay_rate));
}

double ExponentialDecay::at(std::int64_t step) const {
    double exponent = static_cast<double>(step) / static_cast<double>(decay_steps_);
    if (staircase_) exponent = std::floor(exponent);
    return initial_ * std::pow(decay_rate_, exponent);
}

Config ExponentialDecay::config() const {
    return Config("ExponentialDecay")
        .set("initial_learning_rate", initial_)
        .set("decay_steps", decay_steps_)
        .set("decay_rate", decay_rate_)
        .set("staircase", staircase_);
}

std::string ExponentialDecay::describe() const {
    return "ExponentialDecay(initial " + number(initial_) + ", decay_steps " + std::to_string(decay_steps_) +
           ", decay_rate " + number(decay_rate_) + (staircase_ ? ", staircase)" : ")");
}

CosineDecay::CosineDecay(double initial_learning_rate, std::int64_t decay_steps, double alpha)
    : initial_(initial_learning_rate), decay_steps_(decay_steps), alpha_(alpha) {
    check_rate("CosineDecay", initial_learning_rate);
    if (decay_steps < 1) throw std::invalid_argument("CosineDecay: decay_steps must be at least 1, got " + std::to_string(decay_steps));
    if (!(alpha >= 0.0 && alpha <= 1.0)) throw std::invalid_argument("CosineDecay: alpha must be from 0 to 1, got " + number(alpha));
}

double CosineDecay::at(std::int64_t step) const {
    const double progress = static_cast<double>(std::min(step, decay_steps_)) / static_cast<double>(decay_steps_);
    const double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
    return initial_ * ((1.0 - alpha_) * cosine + alpha_);
}

Config CosineDecay::config() const {
    return Config("CosineDecay").set("initial_learning_rate", initial_).set("decay_steps", decay_steps_).set("alpha", alpha_);
}

std::string CosineDecay::describe() const {
    return "CosineDecay(initial " + number(initial_) + ", decay_steps " + std::to_string(decay_steps_) + ", alpha " +
           number(alpha_) + ")";
}

LearningRate::LearningRate(float value) : value_(value) { check_rate("learning_rate", value); }

LearningRate::LearningRate(double value) : LearningRate(static_cast<float>(value)) {}

float LearningRate::at(std::int64_t step) const {
    return schedule_ ? static_cast<float>(schedule_->at(step)) : value_;
}

std::string LearningRate::describe() const { return schedule_ ? schedule_->describe() : number(value_); }

}  // namespace smallnet
