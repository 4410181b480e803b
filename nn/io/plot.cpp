#include "nn/io/plot.hpp"

#include <plstream.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <stdexcept>

#include "nn/io/atomic_file.hpp"
#include "nn/io/png.hpp"
#include "tensor/random.hpp"

namespace smallnet {

Rgb palette_color(int index) {
    static constexpr Rgb tableau10[10] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},
                                          {148, 103, 189}, {140, 86, 75},  {227, 119, 194}, {127, 127, 127},
                                          {188, 189, 34},  {23, 190, 207}};
    return tableau10[((index % 10) + 10) % 10];
}

namespace {

// A filled circle (UTF-8), drawn with the cairo driver's fonts; the same glyph marks the legend entry.
constexpr const char* dot = "\xe2\x97\x8f";

struct Range {
    double low = std::numeric_limits<double>::infinity();
    double high = -std::numeric_limits<double>::infinity();
    void add(double v) {
        low = std::min(low, v);
        high = std::max(high, v);
    }
    // 4% margins; a single value gets a unit-wide range around it.
    void pad() {
        if (!(high > low)) {
            const double half = low == 0.0 ? 1.0 : std::fabs(low) * 0.5;
            low -= half, high += half;
        }
        const double margin = (high - low) * 0.04;
        low -= margin, high += margin;
    }
};

// Runs `drawing` on a PLplot stream of width x height pixels (colour 0 white, 1 black, then `colours`)
// and writes the PNG atomically.
void draw_to_png(const std::filesystem::path& path, int width, int height, const std::vector<Rgb>& colours,
                 const std::function<void(plstream&)>& drawing);

// Whether a point can be drawn on the axes' scales (a log axis has no place for values <= 0).
bool kept(const PlotOptions& options, double x, double y) {
    return (!options.log_x || x > 0.0) && (!options.log_y || y > 0.0);
}

void draw(plstream& pls, const std::vector<PlotSeries>& series, const PlotOptions& options) {
    Range xr, yr;
    std::vector<std::vector<double>> ys(series.size());
    for (std::size_t s = 0; s < series.size(); ++s) {
        const PlotSeries& one = series[s];
        for (std::size_t i = 0; i < one.x.size(); ++i) {
            if (!kept(options, one.x[i], one.y[i])) continue;
            xr.add(options.log_x ? std::log10(one.x[i]) : one.x[i]);
            yr.add(options.log_y ? std::log10(one.y[i]) : one.y[i]);
        }
    }
    if (!(xr.high >= xr.low) || !(yr.high >= yr.low)) throw std::invalid_argument("plot: no points to draw");
    for (const auto& [value, text] : options.y_tick_labels) yr.add(value);
    xr.pad();
    yr.pad();

    // The viewport: room for the labels, and below the plot for a legend placed there.
    std::size_t entries = 0;
    for (const PlotSeries& one : series) entries += !one.label.empty();
    const int legend_columns = 2;
    const double legend_rows = options.legend_below ? std::ceil(static_cast<double>(entries) / legend_columns) : 0.0;
    const double bottom = 0.12 + (legend_rows > 0 ? (legend_rows * 30.0 + 70.0) / options.height : 0.0);
    pls.col0(1);
    pls.schr(0.0, 1.0);
    pls.adv(0);
    if (options.equal_aspect)
        pls.vpas(0.12, 0.95, bottom, 0.9,
                 (yr.high - yr.low) / (xr.high - xr.low) * options.width / options.height);
    else
        pls.vpor(0.12, 0.95, bottom, 0.9);
    pls.wind(xr.low, xr.high, yr.low, yr.high);
    if (options.y_tick_labels.empty()) {
        pls.box(options.log_x ? "bcnstl" : "bcnst", 0.0, 0, options.log_y ? "bcnstvl" : "bcnstv", 0.0, 0);
    } else {
        pls.box("bcnst", 0.0, 0, "bc", 0.0, 0);
        for (const auto& [value, text] : options.y_tick_labels)
            pls.mtex("lv", 0.8, (value - yr.low) / (yr.high - yr.low), 1.0, text.c_str());
    }
    // Dots are filled polygons: a radius in pixels, converted to world units along each axis (text
    // glyphs through pango would cost a millisecond per thousand points more than this).
    PLFLT vx0 = 0, vx1 = 1, vy0 = 0, vy1 = 1;
    pls.gvpd(vx0, vx1, vy0, vy1);
    const double world_per_pixel_x = (xr.high - xr.low) / ((vx1 - vx0) * options.width);
    const double world_per_pixel_y = (yr.high - yr.low) / ((vy1 - vy0) * options.height);
    pls.lab(options.x_label.c_str(), options.y_label.c_str(), options.title.c_str());

    std::vector<PLINT> legend_options, colours, line_styles, symbol_numbers;
    std::vector<PLFLT> line_widths, symbol_scales;
    std::vector<const char*> texts, symbols;
    for (std::size_t s = 0; s < series.size(); ++s) {
        const PlotSeries& one = series[s];
        const PLINT colour = static_cast<PLINT>(2 + s);
        std::vector<double> x, y;
        x.reserve(one.x.size());
        y.reserve(one.y.size());
        for (std::size_t i = 0; i < one.x.size(); ++i) {
            if (!kept(options, one.x[i], one.y[i])) continue;
            x.push_back(options.log_x ? std::log10(one.x[i]) : one.x[i]);
            y.push_back(options.log_y ? std::log10(one.y[i]) : one.y[i]);
        }
        pls.col0(colour);
        const auto n = static_cast<PLINT>(x.size());
        switch (one.style) {
            case SeriesStyle::line:
                pls.width(one.size);
                if (n > 1) pls.line(n, x.data(), y.data());
                break;
            case SeriesStyle::segments:
                pls.width(one.size);
                for (std::size_t i = 0; i + 1 < x.size(); i += 2) pls.join(x[i], y[i], x[i + 1], y[i + 1]);
                break;
            case SeriesStyle::points: {
                constexpr int corners = 12;
                const double radius = 6.0 * one.size;  // pixels
                PLFLT px[corners], py[corners];
                for (std::size_t i = 0; i < x.size(); ++i) {
                    for (int c = 0; c < corners; ++c) {
                        const double angle = 2 * 3.14159265358979 * c / corners;
                        px[c] = x[i] + radius * std::cos(angle) * world_per_pixel_x;
                        py[c] = y[i] + radius * std::sin(angle) * world_per_pixel_y;
                    }
                    pls.fill(corners, px, py);
                }
                break;
            }
        }
        pls.width(1.0);
        if (one.label.empty()) continue;
        legend_options.push_back(one.style == SeriesStyle::points ? PL_LEGEND_SYMBOL : PL_LEGEND_LINE);
        colours.push_back(colour);
        line_styles.push_back(1);
        line_widths.push_back(std::max(one.size, 1.0));
        symbol_scales.push_back(one.style == SeriesStyle::points ? std::max(one.size * 1.2, 0.6) : 1.0);
        symbol_numbers.push_back(1);
        texts.push_back(one.label.c_str());
        symbols.push_back(dot);
    }
    if (!texts.empty()) {
        std::vector<PLINT> text_colours(texts.size(), 1);
        PLFLT legend_width = 0, legend_height = 0;
        pls.col0(1);
        const bool below = options.legend_below;
        // Below: under the x label, in two columns; otherwise inside the top right corner.
        const double below_offset = 80.0 / ((vy1 - vy0) * options.height);
        pls.legend(&legend_width, &legend_height, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
                   below ? PL_POSITION_BOTTOM | PL_POSITION_OUTSIDE
                         : PL_POSITION_TOP | PL_POSITION_RIGHT | PL_POSITION_INSIDE,
                   below ? 0.0 : 0.01, below ? below_offset : 0.01, 0.06, 0, 1, 1,
                   below ? static_cast<PLINT>(legend_rows) : 0, below ? legend_columns : 0,
                   static_cast<PLINT>(texts.size()), legend_options.data(), 0.8, 0.9, 2.0, 0.0,
                   text_colours.data(), texts.data(), nullptr, nullptr, nullptr, nullptr, colours.data(),
                   line_styles.data(), line_widths.data(), colours.data(), symbol_scales.data(),
                   symbol_numbers.data(), symbols.data());
    }
}

}  // namespace

std::size_t count_dots(const std::vector<PlotSeries>& series) {
    std::size_t dots = 0;
    for (const PlotSeries& one : series) dots += one.style == SeriesStyle::points ? one.x.size() : 0;
    return dots;
}

std::vector<PlotSeries> sample_dots(const std::vector<PlotSeries>& series, std::int64_t max_points) {
    // Cairo takes about 50 us a dot: a million would take a minute, and thousands more than the eye can
    // tell apart add nothing. Each series keeps its share of the sample (at least one dot, so a small
    // class stays visible).
    if (max_points < 1) throw std::invalid_argument("sample_dots: max_points must be at least 1");
    const std::size_t dots = count_dots(series);
    if (dots <= static_cast<std::size_t>(max_points)) return series;
    std::vector<PlotSeries> sampled;
    sampled.reserve(series.size());
    Generator generator(dots);  // the same data gives the same picture
    for (const PlotSeries& one : series) {
        if (one.style != SeriesStyle::points) {
            sampled.push_back(one);
            continue;
        }
        PlotSeries& picked = sampled.emplace_back(PlotSeries{one.label, {}, {}, one.color, one.style, one.size});
        const std::size_t n = one.x.size();
        if (n == 0) continue;
        const auto share = std::max<std::size_t>(
            1, static_cast<std::size_t>(static_cast<double>(n) * static_cast<double>(max_points) / static_cast<double>(dots)));
        // Selection sampling (Knuth's algorithm S): each point is taken with probability
        // still-needed / still-left, which gives a uniform sample in the original order without a
        // copy of the indices.
        picked.x.reserve(share);
        picked.y.reserve(share);
        std::size_t needed = share;
        for (std::size_t i = 0; i < n && needed > 0; ++i)
            if (generator.below(n - i) < needed) {
                picked.x.push_back(one.x[i]);
                picked.y.push_back(one.y[i]);
                --needed;
            }
    }
    return sampled;
}

void save_plot(const std::filesystem::path& path, const std::vector<PlotSeries>& series, const PlotOptions& options) {
    if (series.empty()) throw std::invalid_argument("plot " + path.string() + ": no series");
    for (const PlotSeries& one : series) {
        if (one.x.size() != one.y.size())
            throw std::invalid_argument("plot " + path.string() + ": series '" + one.label + "' has " +
                                        std::to_string(one.x.size()) + " x values and " +
                                        std::to_string(one.y.size()) + " y values");
        for (std::size_t i = 0; i < one.x.size(); ++i)
            if (!std::isfinite(one.x[i]) || !std::isfinite(one.y[i]))
                throw std::invalid_argument("plot " + path.string() + ": series '" + one.label +
                                            "' has a non-finite value at point " + std::to_string(i));
    }
    if (options.width < 16 || options.height < 16) throw std::invalid_argument("plot: picture too small");
    if (options.max_points < 1) throw std::invalid_argument("plot " + path.string() + ": max_points must be at least 1");
    std::vector<Rgb> colours;
    for (const PlotSeries& one : series) colours.push_back(one.color);

    const std::size_t dots = count_dots(series);
    if (dots <= static_cast<std::size_t>(options.max_points)) {
        draw_to_png(path, options.width, options.height, colours, [&](plstream& pls) { draw(pls, series, options); });
        return;
    }
    const std::vector<PlotSeries> sampled = sample_dots(series, options.max_points);
    const std::size_t kept_dots = count_dots(sampled);
    PlotOptions captioned = options;
    captioned.title += " (" + std::to_string(kept_dots) + " of " + std::to_string(dots) + " points, sampled per series)";
    draw_to_png(path, options.width, options.height, colours, [&](plstream& pls) { draw(pls, sampled, captioned); });
}

namespace {

void draw_to_png(const std::filesystem::path& path, int width, int height, const std::vector<Rgb>& colours,
                 const std::function<void(plstream&)>& drawing) {
    // PLplot's memcairo device draws into our own buffer, so the PNG is encoded in memory and every
    // byte reaches the disk through the checked atomic writer: PLplot's file devices do not check
    // their writes and leave a cut picture on a full disk.
    std::vector<std::uint8_t> pixels(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3, 255);
    std::vector<PLINT> r = {255, 0}, g = {255, 0}, b = {255, 0};
    for (const Rgb& colour : colours) {
        r.push_back(colour.r);
        g.push_back(colour.g);
        b.push_back(colour.b);
    }
    {
        auto pls = std::make_unique<plstream>();
        pls->sdev("memcairo");
        pls->smem(width, height, pixels.data());  // memcairo draws over what is there: white, as above
        pls->scolbg(255, 255, 255);
        pls->scmap0(r.data(), g.data(), b.data(), static_cast<PLINT>(r.size()));
        pls->init();
        drawing(*pls);
    }  // deleting the stream finishes the drawing
    const std::vector<std::uint8_t> png = encode_png(pixels, width, height, 3);
    write_file_atomically(path, std::as_bytes(std::span(png)));
}

}  // namespace

void save_confusion_matrix(const std::filesystem::path& path, const std::vector<std::int64_t>& counts,
                           const std::vector<std::string>& class_names, const std::string& title) {
    const std::size_t n = class_names.size();
    if (n == 0 || counts.size() != n * n)
        throw std::invalid_argument("save_confusion_matrix " + path.string() + ": " + std::to_string(counts.size()) +
                                    " counts for " + std::to_string(n) + " classes (needs classes squared)");
    std::vector<std::int64_t> row_totals(n, 0);
    for (std::size_t t = 0; t < n; ++t)
        for (std::size_t p = 0; p < n; ++p) {
            if (counts[t * n + p] < 0) throw std::invalid_argument("save_confusion_matrix: a negative count");
            row_totals[t] += counts[t * n + p];
        }
    const int size = 760;
    draw_to_png(path, size, size, {}, [&](plstream& pls) {
        pls.adv(0);
        pls.schr(0.0, 0.8);
        // Room on the left and below for the class names.
        pls.vpor(0.25, 0.96, 0.22, 0.92);
        const double extent = static_cast<double>(n);
        pls.wind(0.0, extent, 0.0, extent);
        // Shades from white to blue by the fraction of the true class's samples (each row sums to 1).
        PLFLT positions[2] = {0.0, 1.0}, red[2] = {1.0, 0.03}, green[2] = {1.0, 0.19}, blue[2] = {1.0, 0.42};
        pls.scmap1l(true, 2, positions, red, green, blue, nullptr);
        for (std::size_t t = 0; t < n; ++t)
            for (std::size_t p = 0; p < n; ++p) {
                const double fraction = row_totals[t] > 0 ? static_cast<double>(counts[t * n + p]) / row_totals[t] : 0.0;
                // True class 0 at the top, as the matrix is printed.
                const double x0 = static_cast<double>(p), y0 = extent - 1.0 - static_cast<double>(t);
                PLFLT xs[4] = {x0, x0 + 1, x0 + 1, x0}, ys[4] = {y0, y0, y0 + 1, y0 + 1};
                pls.col1(fraction);
                pls.fill(4, xs, ys);
                pls.col0(fraction > 0.5 ? 0 : 1);
                const std::string text = std::to_string(counts[t * n + p]);
                pls.ptex(x0 + 0.5, y0 + 0.4, 1.0, 0.0, 0.5, text.c_str());
            }
        pls.col0(1);
        pls.box("bc", 0.0, 0, "bc", 0.0, 0);
        for (std::size_t c = 0; c < n; ++c) {
            const double centre = (static_cast<double>(c) + 0.5) / extent;
            pls.mtex("bv", 0.8, centre, 1.0, class_names[c].c_str());            // predicted, below, read upwards
            pls.mtex("lv", 0.8, 1.0 - centre, 1.0, class_names[c].c_str());      // true, on the left
        }
        pls.schr(0.0, 1.0);
        pls.mtex("b", 9.5, 0.5, 0.5, "predicted class");
        pls.mtex("l", 10.0, 0.5, 0.5, "true class");
        pls.mtex("t", 1.5, 0.5, 0.5, title.c_str());
    });
}

void save_class_scatter(const std::filesystem::path& path, const Tensor& points, std::span<const std::uint8_t> labels,
                        const std::vector<std::string>& class_names, PlotOptions options, double dot_size) {
    if (points.rank() != 2 || points.size(1) < 2 || points.size(0) != static_cast<std::int64_t>(labels.size()))
        throw_shape_error("save_class_scatter", points.shape(),
                          "the points must be [n, 2 or more] with one label each (" + std::to_string(labels.size()) + " labels)");
    std::vector<PlotSeries> series(class_names.size());
    for (std::size_t c = 0; c < class_names.size(); ++c)
        series[c] = {class_names[c], {}, {}, palette_color(static_cast<int>(c)), SeriesStyle::points, dot_size};
    const std::int64_t stride = points.size(1);
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (labels[i] >= class_names.size())
            throw std::invalid_argument("save_class_scatter: label " + std::to_string(labels[i]) + " of point " + std::to_string(i) +
                                        " has no class name (" + std::to_string(class_names.size()) + " names)");
        series[labels[i]].x.push_back(points.data()[static_cast<std::int64_t>(i) * stride]);
        series[labels[i]].y.push_back(points.data()[static_cast<std::int64_t>(i) * stride + 1]);
    }
    std::erase_if(series, [](const PlotSeries& s) { return s.x.empty(); });
    options.legend_below = true;
    save_plot(path, series, options);
}

}  // namespace smallnet
