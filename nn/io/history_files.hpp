#pragma once
// A training History as a CSV table and as a loss-curve picture.

#include <filesystem>
#include <string>

#include "nn/history.hpp"
#include "nn/io/csv.hpp"

namespace smallnet {

// Columns epoch,loss,val_loss,seconds (val_loss only when some epoch has one), with the loss's parts
// after loss and after val_loss when layers add terms (epoch,loss,reconstruction,kl,val_loss,
// val_reconstruction,val_kl,seconds); seconds is the epoch's training time.
CsvTable history_table(const History& history);
void save_history_csv(const std::filesystem::path& path, const History& history);
// loss (and val_loss) against the epoch, as a PNG (nn/io/plot.hpp), with the parts of the loss when
// layers add terms (reconstruction, kl), on a log axis when they differ by more than 30x.
void save_loss_plot(const std::filesystem::path& path, const History& history, const std::string& title,
                    const std::string& loss_name = "loss");

}  // namespace smallnet
