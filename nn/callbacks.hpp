#pragma once
// Callbacks that fit calls around every epoch: a plain hook, EarlyStopping, ModelCheckpoint,
// LearningRateScheduler and ReduceLROnPlateau (Keras' semantics and defaults).

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>

#include "nn/history.hpp"
#include "tensor/tensor.hpp"

namespace smallnet {

class Sequential;

class Callback {
public:
    virtual ~Callback() = default;
    virtual void on_train_begin(Sequential& model) { (void)model; }
    // Before epoch `epoch` (counted from 0, as Keras) trains.
    virtual void on_epoch_begin(int epoch, Sequential& model) { (void)epoch, (void)model; }
    // Return false to stop training after this epoch.
    virtual bool on_epoch_end(const EpochLogs& logs, Sequential& model) = 0;
    virtual void on_train_end(Sequential& model, History& history) { (void)model, (void)history; }
};

// Calls a function after every epoch; it may return void, or bool (false stops training).
class EpochHook : public Callback {
public:
    explicit EpochHook(std::function<void(const EpochLogs&)> hook) : hook_(std::move(hook)) {}
    bool on_epoch_end(const EpochLogs& logs, Sequential&) override {
        hook_(logs);
        return true;
    }

private:
    std::function<void(const EpochLogs&)> hook_;
};

struct EarlyStoppingOptions {
    std::string monitor = "val_loss";  // or "loss"
    double min_delta = 0.0;            // an improvement smaller than this does not count
    int patience = 0;                  // epochs without improvement before stopping
    bool restore_best_weights = false; // at the end, put back the weights of the best epoch
};

class EarlyStopping : public Callback {
public:
    explicit EarlyStopping(EarlyStoppingOptions options = {});
    void on_train_begin(Sequential& model) override;
    bool on_epoch_end(const EpochLogs& logs, Sequential& model) override;
    void on_train_end(Sequential& model, History& history) override;

private:
    EarlyStoppingOptions options_;
    double best_ = 0.0;
    int best_epoch_ = 0;
    int waited_ = 0;
    bool stopped_ = false;
    Tensor best_weights_;
};

struct ModelCheckpointOptions {
    std::string monitor = "val_loss";
    bool save_best_only = false;  // otherwise after every epoch
    // The whole model (Sequential::save: architecture, optimizer state, history), which load_model
    // reads and fit resumes with initial_epoch; otherwise the weights only (save_weights). Keras saves
    // the whole model by default; here the weights are, as the weight files came first.
    bool whole_model = false;
};

// Saves the weights or the whole model (safetensors, written atomically) after each epoch or at each
// new best, and
// (saving after every epoch) when a stop request (Ctrl-C) ends fit mid-run, so that what was trained
// is kept. Weights holding NaN or infinity are never saved: training stops with an error and the
// file keeps the last good ones.
class ModelCheckpoint : public Callback {
public:
    explicit ModelCheckpoint(std::filesystem::path path, ModelCheckpointOptions options = {});
    bool on_epoch_end(const EpochLogs& logs, Sequential& model) override;
    void on_train_end(Sequential& model, History& history) override;

private:
    void save_finite_weights(Sequential& model, const std::string& when);

    std::filesystem::path path_;
    ModelCheckpointOptions options_;
    double best_ = 0.0;
    bool have_best_ = false;
};

// Sets the optimizer's learning rate before every epoch to schedule(epoch, current rate), the epoch
// counted from 0 (Keras' LearningRateScheduler). The optimizer's rate must be a number, not a
// LearningRateSchedule.
class LearningRateScheduler : public Callback {
public:
    explicit LearningRateScheduler(std::function<double(int epoch, double learning_rate)> schedule)
        : schedule_(std::move(schedule)) {}
    void on_epoch_begin(int epoch, Sequential& model) override;
    bool on_epoch_end(const EpochLogs&, Sequential&) override { return true; }

private:
    std::function<double(int, double)> schedule_;
};

struct ReduceLROnPlateauOptions {
    std::string monitor = "val_loss";
    double factor = 0.1;      // the new rate is rate · factor
    int patience = 10;        // epochs without improvement before the rate drops
    double min_delta = 1e-4;  // an improvement smaller than this does not count
    int cooldown = 0;         // epochs after a drop before epochs without improvement count again
    double min_lr = 0.0;      // the rate never drops below this
};

// Multiplies the learning rate by `factor` when the monitored value has not improved for `patience`
// epochs (Keras' ReduceLROnPlateau, mode "min"); prints the change.
class ReduceLROnPlateau : public Callback {
public:
    explicit ReduceLROnPlateau(ReduceLROnPlateauOptions options = {});
    void on_train_begin(Sequential& model) override;
    bool on_epoch_end(const EpochLogs& logs, Sequential& model) override;

private:
    ReduceLROnPlateauOptions options_;
    double best_ = 0.0;
    bool have_best_ = false;
    int waited_ = 0;
    int cooldown_left_ = 0;
};

// A callback held by FitOptions: built from any Callback value ({EarlyStopping(...), ...}).
class CallbackHandle {
public:
    template <class C, class = std::enable_if_t<std::is_base_of_v<Callback, std::decay_t<C>>>>
    CallbackHandle(C&& callback) : callback_(std::make_shared<std::decay_t<C>>(std::forward<C>(callback))) {}
    CallbackHandle(std::shared_ptr<Callback> callback) : callback_(std::move(callback)) {}
    Callback& operator*() const { return *callback_; }
    Callback* operator->() const { return callback_.get(); }

private:
    std::shared_ptr<Callback> callback_;
};

// The value EarlyStopping/ModelCheckpoint monitor ("loss", "val_loss", or a part of the loss such as
// "val_reconstruction"); throws, listing what there is, when it is absent.
double monitored_value(const EpochLogs& logs, const std::string& monitor);

}  // namespace smallnet
