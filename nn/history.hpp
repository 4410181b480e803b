#pragma once
// History: what fit returns, one entry per epoch, as Keras' History.history.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smallnet {

// Values by name, in the order they were reported.
using NamedValues = std::vector<std::pair<std::string, double>>;

// The value named `name`, if present.
std::optional<double> find_value(const NamedValues& values, std::string_view name);

// Where an epoch's training time went, in seconds summed over its steps: what to look at when a
// second thread or a larger batch does not pay. The three passes are summed over this process's row
// blocks (FitOptions::row_blocks), which run at the same time on two threads or more, so there they are
// thread-seconds and can add up to more than the epoch; what the epoch's seconds leave over is
// waiting (a thread done with its block waits for the other's), the progress display and callbacks.
struct EpochTimings {
    // Gathering the batch's rows as floats (each block its own); with one block, where the worker
    // threads gather the next batch while a step trains, the time a step waited for it (on one
    // thread, the gather itself).
    double batch = 0.0;
    double forward = 0.0;   // the forward pass and the loss
    double backward = 0.0;  // the backward pass
    double update = 0.0;    // the blocks' gradients summed and the optimizer's step
};

struct EpochLogs {
    int epoch = 0;                   // counted from 1
    double loss = 0.0;               // mean training loss over the epoch's batches (every term included)
    std::optional<double> val_loss;  // when there is validation data
    double seconds = 0.0;            // the epoch's training time (validation excluded)
    EpochTimings timings;            // where `seconds` went
    // The parts of the loss when layers add terms to it: the compiled loss as "reconstruction", then
    // each term by its name ("kl", "activity_regularization"); then the same on the validation data
    // with "val_" in front. Empty when the loss has no parts.
    NamedValues values;
};

// Where fit stopped when asked to (Ctrl-C, SIGTERM: nn/interrupt.hpp): the last step made, counted
// from 1 (0: stopped before the epoch's first step) of the epoch's steps.
struct StopPoint {
    int epoch = 0;
    std::int64_t step = 0;
    std::int64_t steps = 0;
    // "at epoch 2, step 31 of 235"
    std::string describe() const;
};

struct History {
    std::vector<EpochLogs> epochs;  // the finished epochs
    bool stopped_early = false;
    int best_epoch = 0;  // set by EarlyStopping with restore_best_weights
    std::optional<StopPoint> interrupted;  // set when a stop request ended fit
    // How many steps changed the weights before the stop (every step when not interrupted).
    std::int64_t steps_trained = 0;
    // The fit settings the epochs were trained with, which a resumed run must repeat to continue them.
    std::uint64_t seed = 0;
    std::int64_t batch_size = 0;
};

}  // namespace smallnet
