#pragma once
// History: what fit returns, one entry per epoch, as Keras' History.history.

#include <optional>
#include <vector>

namespace smallnet {

struct EpochLogs {
    int epoch = 0;                   // counted from 1
    double loss = 0.0;               // mean training loss over the epoch's batches
    std::optional<double> val_loss;  // when there is validation data
    double seconds = 0.0;            // the epoch's training time (validation excluded)
};

struct History {
    std::vector<EpochLogs> epochs;
    bool stopped_early = false;
    int best_epoch = 0;  // set by EarlyStopping with restore_best_weights
};

}  // namespace smallnet
