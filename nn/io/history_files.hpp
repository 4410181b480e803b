#pragma once
// A training History as a CSV table and as a loss-curve picture.

#include <filesystem>
#include <string>

#include "nn/history.hpp"
#include "nn/io/csv.hpp"

namespace smallnet {

// Columns epoch,loss,val_loss,seconds (val_loss only when some epoch has one); seconds is the
// epoch's training time.
CsvTable history_table(const History& history);
void save_history_csv(const std::filesystem::path& path, const History& history);
// loss (and val_loss) against the epoch, as a PNG (nn/io/plot.hpp).
void save_loss_plot(const std::filesystem::path& path, const History& history, const std::string& title,
                    const std::string& loss_name = "loss");

}  // namespace smallnet
