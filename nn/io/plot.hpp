#pragma once
// Line and scatter plots as PNG files with axes, ticks, labels, a title and a legend, drawn by PLplot
// through its cairo driver (Debian: libplplot-dev, plplot-driver-cairo; device "pngcairo").
//
// PLplot draws into memory (its memcairo device), the PNG is encoded in memory and written by the
// atomic writer (atomic_file.hpp), so a reader never sees a half-written picture and a full disk is
// an error, never a cut file.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.hpp"

namespace smallnet {

struct Rgb {
    std::uint8_t r = 0, g = 0, b = 0;
};

// Colour `index` of a qualitative palette (Tableau 10), repeating after 10.
Rgb palette_color(int index);

enum class SeriesStyle {
    line,      // a polyline through the points in order
    points,    // a filled dot at every point
    segments,  // a line from point 2i to point 2i + 1, for every i (e.g. original -> reconstruction)
};

struct PlotSeries {
    std::string label{};  // its legend entry; empty: not in the legend
    std::vector<double> x{}, y{};
    Rgb color = palette_color(0);
    SeriesStyle style = SeriesStyle::line;
    double size = 1.0;  // line width, or the dots' radius in units of 6 pixels (0.5 suits a thousand points)
};

struct PlotOptions {
    std::string title{}, x_label{}, y_label{};
    int width = 800, height = 600;  // pixels
    bool log_y = false;             // log10 y axis (non-positive values are left out)
    bool log_x = false;             // log10 x axis (likewise)
    bool equal_aspect = false;      // one unit is as long on both axes (scatter plots of 2-D points)
    bool legend_below = false;      // the legend under the plot (two columns), not inside its top right
    // At most this many dots (points series) are drawn: above it, a seeded sample stratified by series,
    // and the title says how many of how many are shown. Lines and segments are always drawn whole.
    std::int64_t max_points = 20'000;
    // When not empty, the y axis is labelled with these (value, text) pairs instead of numbers (strip
    // plots by class).
    std::vector<std::pair<double, std::string>> y_tick_labels{};
};

// How many dots (points series) the series hold, and a seeded sample of at most max_points of them
// (stratified: each series keeps its share, at least one, in its original order; lines and segments
// whole). save_plot draws the sample when there are more dots than its options' max_points.
std::size_t count_dots(const std::vector<PlotSeries>& series);
std::vector<PlotSeries> sample_dots(const std::vector<PlotSeries>& series, std::int64_t max_points);

// Draws the series in order (later ones on top) and writes the PNG. Throws std::invalid_argument for
// no data or non-finite values, FileError when the file cannot be written or is not a PNG.
void save_plot(const std::filesystem::path& path, const std::vector<PlotSeries>& series,
               const PlotOptions& options = {});

// A scatter of points (the first two columns of `points`, [n, 2 or more]) coloured by class: point i
// is of class labels[i] < class_names.size(), and each class with points has a legend entry (below the
// plot) named by class_names. For a latent space or any 2-D embedding.
void save_class_scatter(const std::filesystem::path& path, const Tensor& points, std::span<const std::uint8_t> labels,
                        const std::vector<std::string>& class_names, PlotOptions options = {}, double dot_size = 0.35);

// A confusion matrix: counts[t * n + p] samples of true class t predicted as p, for n = class_names.size()
// classes; each cell shows its count, shaded by its share of the true class's samples, true classes
// down the left (named), predicted ones along the bottom.
void save_confusion_matrix(const std::filesystem::path& path, const std::vector<std::int64_t>& counts,
                           const std::vector<std::string>& class_names, const std::string& title);

}  // namespace smallnet
