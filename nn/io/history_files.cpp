#include "nn/io/history_files.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "nn/io/plot.hpp"

namespace smallnet {

namespace {
bool has_validation(const History& history) {
    return std::any_of(history.epochs.begin(), history.epochs.end(), [](const EpochLogs& e) { return e.val_loss.has_value(); });
}
}  // namespace

CsvTable history_table(const History& history) {
    const bool validation = has_validation(history);
    // The parts' names as the first epoch reports them, training ones then validation ones.
    std::vector<std::string> training_parts, validation_parts;
    if (!history.epochs.empty())
        for (const auto& [name, value] : history.epochs.front().values)
            (name.rfind("val_", 0) == 0 ? validation_parts : training_parts).push_back(name);
    CsvTable table;
    table.header = {"epoch", "loss"};
    table.header.insert(table.header.end(), training_parts.begin(), training_parts.end());
    if (validation) table.header.push_back("val_loss");
    table.header.insert(table.header.end(), validation_parts.begin(), validation_parts.end());
    table.header.push_back("seconds");
    const double missing = std::numeric_limits<double>::quiet_NaN();
    for (const EpochLogs& e : history.epochs) {
        std::vector<double> row = {static_cast<double>(e.epoch), e.loss};
        for (const std::string& name : training_parts) row.push_back(find_value(e.values, name).value_or(missing));
        if (validation) row.push_back(e.val_loss.value_or(missing));
        for (const std::string& name : validation_parts) row.push_back(find_value(e.values, name).value_or(missing));
        row.push_back(e.seconds);
        table.rows.push_back(std::move(row));
    }
    return table;
}

void save_history_csv(const std::filesystem::path& path, const History& history) {
    save_csv(path, history_table(history));
}

void save_loss_plot(const std::filesystem::path& path, const History& history, const std::string& title,
                    const std::string& loss_name) {
    if (history.epochs.empty()) throw std::invalid_argument("loss plot: the history has no epochs");
    PlotSeries loss{"loss (" + loss_name + ")", {}, {}, palette_color(0), SeriesStyle::line, 2.0};
    PlotSeries val_loss{"val_loss", {}, {}, palette_color(1), SeriesStyle::line, 2.0};
    for (const EpochLogs& e : history.epochs) {
        loss.x.push_back(e.epoch);
        loss.y.push_back(e.loss);
        if (e.val_loss) val_loss.x.push_back(e.epoch), val_loss.y.push_back(*e.val_loss);
    }
    std::vector<PlotSeries> series = {loss};
    if (!val_loss.x.empty()) series.push_back(val_loss);
    // The parts of the loss when layers add terms (reconstruction, kl), on the training data.
    double smallest = std::numeric_limits<double>::infinity(), largest = 0.0;
    for (const auto& [name, value] : history.epochs.front().values) {
        if (name.rfind("val_", 0) == 0) continue;
        PlotSeries part{name, {}, {}, palette_color(static_cast<int>(series.size())), SeriesStyle::line, 1.5};
        for (const EpochLogs& e : history.epochs)
            if (const auto v = find_value(e.values, name)) part.x.push_back(e.epoch), part.y.push_back(*v);
        series.push_back(part);
    }
    for (const PlotSeries& s : series)
        for (const double v : s.y) smallest = std::min(smallest, v), largest = std::max(largest, v);
    // A single epoch would be a line of one point: mark the points too.
    if (history.epochs.size() < 2)
        for (std::size_t i = 0, n = series.size(); i < n; ++i) {
            PlotSeries dots = series[i];
            dots.label.clear();
            dots.style = SeriesStyle::points;
            dots.size = 0.8;
            series.push_back(dots);
        }
    PlotOptions options;
    options.title = title;
    options.x_label = "epoch";
    options.y_label = "loss";
    // Parts of very different sizes (a VAE's reconstruction ~270, its KL ~6) need a log axis to be seen.
    options.log_y = smallest > 0.0 && largest > 30.0 * smallest;
    save_plot(path, series, options);
}

}  // namespace smallnet
