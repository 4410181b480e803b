#include "nn/callbacks.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>

#include "nn/distributed.hpp"
#include "nn/sequential.hpp"

namespace smallnet {

double monitored_value(const EpochLogs& logs, const std::string& monitor) {
    if (monitor == "loss") return logs.loss;
    if (monitor == "val_loss") {
        if (!logs.val_loss)
            throw std::invalid_argument("callback monitors val_loss, but fit was given no validation data");
        return *logs.val_loss;
    }
    if (const auto value = find_value(logs.values, monitor)) return *value;
    std::string known = "loss";
    if (logs.val_loss) known += ", val_loss";
    for (const auto& [name, value] : logs.values) known += ", " + name;
    throw std::invalid_argument("callback: unknown monitor '" + monitor + "' (this fit reports " + known + ")");
}

EarlyStopping::EarlyStopping(EarlyStoppingOptions options) : options_(std::move(options)) {
    if (options_.patience < 0) throw std::invalid_argument("EarlyStopping: patience must be >= 0");
}

void EarlyStopping::on_train_begin(Sequential&) {
    best_ = std::numeric_limits<double>::infinity();
    best_epoch_ = 0;
    waited_ = 0;
    stopped_ = false;
    best_weights_ = Tensor();
}

bool EarlyStopping::on_epoch_end(const EpochLogs& logs, Sequential& model) {
    const double value = monitored_value(logs, options_.monitor);
    if (value < best_ - options_.min_delta) {
        best_ = value;
        best_epoch_ = logs.epoch;
        waited_ = 0;
        if (options_.restore_best_weights) best_weights_ = model.weights().clone();
        return true;
    }
    if (++waited_ >= options_.patience) {  // Keras: stop once `patience` epochs in a row did not improve
        stopped_ = true;
        return false;
    }
    return true;
}

void EarlyStopping::on_train_end(Sequential& model, History& history) {
    history.stopped_early = history.stopped_early || stopped_;
    if (options_.restore_best_weights && best_weights_.defined()) {
        model.weights().copy_from(best_weights_);
        history.best_epoch = best_epoch_;
    }
}

ModelCheckpoint::ModelCheckpoint(std::filesystem::path path, ModelCheckpointOptions options)
    : path_(std::move(path)), options_(std::move(options)) {}

bool ModelCheckpoint::on_epoch_end(const EpochLogs& logs, Sequential& model) {
    if (options_.save_best_only) {
        const double value = monitored_value(logs, options_.monitor);
        if (have_best_ && !(value < best_)) return true;
        best_ = value;
        have_best_ = true;
    }
    save_finite_weights(model, "after epoch " + std::to_string(logs.epoch));
    return true;
}

void ModelCheckpoint::on_train_end(Sequential& model, History& history) {
    if (history.interrupted && !options_.save_best_only && history.steps_trained > 0)
        save_finite_weights(model, "when stopped " + history.interrupted->describe());
}

void ModelCheckpoint::save_finite_weights(Sequential& model, const std::string& when) {
    // fit stops at a non-finite loss, but the last step's update can still overflow the weights;
    // writing them would replace the last good checkpoint with one that is useless.
    for (const auto& parameter : model.parameters()) {
        const auto values = parameter.variable->value().values();
        for (std::size_t i = 0; i < values.size(); ++i)
            if (!std::isfinite(values[i]))
                throw std::runtime_error("ModelCheckpoint: " + when + " weight '" + parameter.name + "' holds " +
                                         (std::isnan(values[i]) ? "NaN" : "infinity") + " at element " +
                                         std::to_string(i) + "; training stopped and " + path_.string() +
                                         " keeps the last good weights");
    }
    // In a job of several processes all hold the same weights; process 0 writes them.
    if (process_rank() != 0) return;
    if (options_.whole_model) model.save(path_);
    else model.save_weights(path_);
}

namespace {
Optimizer& compiled_optimizer(Sequential& model, const char* callback) {
    SequentialModule& m = model.sequential_module();
    if (!m.optimizer) throw std::logic_error(std::string(callback) + ": the model has no optimizer (compile it first)");
    return *m.optimizer;
}
}  // namespace

void LearningRateScheduler::on_epoch_begin(int epoch, Sequential& model) {
    Optimizer& optimizer = compiled_optimizer(model, "LearningRateScheduler");
    const double rate = schedule_(epoch, optimizer.learning_rate());
    if (!(rate >= 0.0) || !std::isfinite(rate))
        throw std::invalid_argument("LearningRateScheduler: the schedule gave " + std::to_string(rate) + " for epoch " +
                                    std::to_string(epoch) + "; a learning rate is a finite number >= 0");
    optimizer.set_learning_rate(static_cast<float>(rate));
}

ReduceLROnPlateau::ReduceLROnPlateau(ReduceLROnPlateauOptions options) : options_(std::move(options)) {
    if (!(options_.factor > 0.0 && options_.factor < 1.0))
        throw std::invalid_argument("ReduceLROnPlateau: factor must be between 0 and 1 (exclusive), got " +
                                    std::to_string(options_.factor));
    if (options_.patience < 0 || options_.cooldown < 0 || !(options_.min_lr >= 0.0))
        throw std::invalid_argument("ReduceLROnPlateau: patience, cooldown and min_lr must not be negative");
}

void ReduceLROnPlateau::on_train_begin(Sequential& model) {
    (void)compiled_optimizer(model, "ReduceLROnPlateau");
    have_best_ = false;
    waited_ = 0;
    cooldown_left_ = 0;
}

bool ReduceLROnPlateau::on_epoch_end(const EpochLogs& logs, Sequential& model) {
    const double value = monitored_value(logs, options_.monitor);
    if (cooldown_left_ > 0) {
        --cooldown_left_;
        waited_ = 0;
    }
    if (!have_best_ || value < best_ - options_.min_delta) {
        best_ = value;
        have_best_ = true;
        waited_ = 0;
        return true;
    }
    if (cooldown_left_ > 0) return true;
    if (++waited_ < options_.patience) return true;
    Optimizer& optimizer = compiled_optimizer(model, "ReduceLROnPlateau");
    const double old_rate = optimizer.learning_rate();
    if (old_rate > options_.min_lr) {
        const double new_rate = std::max(old_rate * options_.factor, options_.min_lr);
        optimizer.set_learning_rate(static_cast<float>(new_rate));
        std::fprintf(stderr, "Epoch %d: ReduceLROnPlateau reducing learning rate to %g.\n", logs.epoch, new_rate);
        cooldown_left_ = options_.cooldown;
        waited_ = 0;
    }
    return true;
}

}  // namespace smallnet
