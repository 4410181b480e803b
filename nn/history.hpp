#pragma once
// History: what fit returns, one entry per epoch, as Keras' History.history.

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

struct EpochLogs {
    int epoch = 0;                   // counted from 1
    double loss = 0.0;               // mean training loss over the epoch's batches (every term included)
    std::optional<double> val_loss;  // when there is validation data
    double seconds = 0.0;            // the epoch's training time (validation excluded)
    // The parts of the loss when layers add terms to it: the compiled loss as "reconstruction", then
    // each term by its name ("kl", "activity_regularization"); then the same on the validation data
    // with "val_" in front. Empty when the loss has no parts.
    NamedValues values;
};

struct History {
    std::vector<EpochLogs> epochs;
    bool stopped_early = false;
    int best_epoch = 0;  // set by EarlyStopping with restore_best_weights
};

}  // namespace smallnet
