#include "nn/progress.hpp"

#include <string>
#include <unistd.h>

namespace smallnet {

namespace {
constexpr int bar_width = 20;

std::string duration_text(double seconds) {
    if (seconds >= 3600) return std::to_string(static_cast<int>(seconds / 3600)) + "h" +
                                std::to_string(static_cast<int>(seconds) % 3600 / 60) + "m";
    if (seconds >= 60) return std::to_string(static_cast<int>(seconds / 60)) + "m" +
                              std::to_string(static_cast<int>(seconds) % 60) + "s";
    return std::to_string(static_cast<int>(seconds + 0.5)) + "s";
}

std::string per_step_text(double seconds_per_step) {
    if (seconds_per_step >= 1.0) return std::to_string(static_cast<int>(seconds_per_step + 0.5)) + "s/step";
    if (seconds_per_step >= 1e-3) return std::to_string(static_cast<int>(seconds_per_step * 1e3 + 0.5)) + "ms/step";
    return std::to_string(static_cast<int>(seconds_per_step * 1e6 + 0.5)) + "us/step";
}
}  // namespace

ProgressDisplay::ProgressDisplay(int verbose, int epochs, std::int64_t steps, std::FILE* stream)
    : verbose_(verbose), epochs_(epochs), steps_(steps), stream_(stream),
      interactive_(verbose == 1 && isatty(fileno(stream)) != 0) {}

void ProgressDisplay::start_epoch(int epoch) {
    epoch_ = epoch;
    epoch_start_ = last_draw_ = std::chrono::steady_clock::now();
    if (interactive_) std::fprintf(stream_, "Epoch %d/%d\n", epoch, epochs_);
}

bool ProgressDisplay::would_draw(std::int64_t steps_done) const {
    return interactive_ &&
           (steps_done >= steps_ || std::chrono::steady_clock::now() - last_draw_ >= std::chrono::milliseconds(100));
}

void ProgressDisplay::update(std::int64_t steps_done, double running_loss, const NamedValues& running_parts) {
    if (!would_draw(steps_done)) return;
    const auto now = std::chrono::steady_clock::now();
    last_draw_ = now;
    draw(steps_done, running_loss, false, std::nullopt, running_parts,
         std::chrono::duration<double>(now - epoch_start_).count());
}

void ProgressDisplay::end_epoch(const EpochLogs& logs) {
    if (verbose_ == 0) return;
    if (!interactive_) std::fprintf(stream_, "Epoch %d/%d - ", epoch_, epochs_);
    draw(steps_, logs.loss, true, logs.val_loss, logs.values, logs.seconds);
}

void ProgressDisplay::draw(std::int64_t steps_done, double loss, bool final, std::optional<double> val_loss,
                           const NamedValues& parts, double seconds) {
    std::string line = interactive_ ? "\r" : "";
    const std::string steps_text = std::to_string(steps_done) + "/" + std::to_string(steps_);
    line += std::string(interactive_ ? std::to_string(steps_).size() * 2 + 1 - steps_text.size() : 0, ' ') + steps_text;
    if (interactive_) {
        line += ' ';
        const int filled = steps_ > 0 ? static_cast<int>(bar_width * steps_done / steps_) : bar_width;
        for (int i = 0; i < bar_width; ++i) line += i < filled ? "\u2501" : (i == filled ? "\u257a" : " ");
    } else {
        line += " -";
    }
    const double per_step = steps_done > 0 ? seconds / static_cast<double>(steps_done) : 0.0;
    if (final) {
        line.append(" ").append(duration_text(seconds)).append(" ").append(per_step_text(per_step));
    } else {
        line.append(" ETA ").append(duration_text(per_step * static_cast<double>(steps_ - steps_done)));
    }
    const auto add = [&](const std::string& name, double value) {
        char number[32];
        std::snprintf(number, sizeof number, "%.4f", value);
        line += " - " + name + ": " + number;
    };
    // Keras' order: the training values, then the validation ones.
    add("loss", loss);
    for (const auto& [name, value] : parts)
        if (name.rfind("val_", 0) != 0) add(name, value);
    if (val_loss) add("val_loss", *val_loss);
    for (const auto& [name, value] : parts)
        if (name.rfind("val_", 0) == 0) add(name, value);
    if (interactive_) line += "\x1b[K";  // clear what a longer previous line left
    if (final) line += "\n";
    std::fputs(line.c_str(), stream_);
    std::fflush(stream_);
}

}  // namespace smallnet
