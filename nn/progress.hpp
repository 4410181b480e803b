#pragma once
// ProgressDisplay: fit's progress on stderr, as Keras 3 shows it:
//
//   Epoch 1/5
//   235/235 ━━━━━━━━━━━━━━━━━━━━ 1s 4ms/step - loss: 0.0431 - val_loss: 0.0232
//
// with the parts of the loss after it when layers add terms (reconstruction: ... - kl: ...).
//
// On a terminal the bar is redrawn in place (at most 10 times a second) with the ETA; otherwise (a
// file, a pipe) one plain line is written per epoch. verbose: 0 silent, 1 bar, 2 one line per epoch.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>

#include "nn/history.hpp"

namespace smallnet {

class ProgressDisplay {
public:
    ProgressDisplay(int verbose, int epochs, std::int64_t steps, std::FILE* stream = stderr);

    void start_epoch(int epoch);
    // Whether update(steps_done, ...) would redraw now (the bar is redrawn at most 10 times a second).
    bool would_draw(std::int64_t steps_done) const;
    // The running means of the epoch so far.
    void update(std::int64_t steps_done, double running_loss, const NamedValues& running_parts = {});
    void end_epoch(const EpochLogs& logs);

private:
    void draw(std::int64_t steps_done, double loss, bool final, std::optional<double> val_loss,
              const NamedValues& parts, double seconds);

    int verbose_;
    int epochs_;
    std::int64_t steps_;
    std::FILE* stream_;
    bool interactive_;
    int epoch_ = 0;
    std::chrono::steady_clock::time_point epoch_start_;
    std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace smallnet
