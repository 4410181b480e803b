#include <filesystem>
#include <unistd.h>

#include "tests/support.hpp"
#include "nn/io/file_error.hpp"
#include "nn/io/plot.hpp"
#include "nn/io/png.hpp"

using namespace smallnet;

namespace {
std::filesystem::path temp_folder() {
    const auto folder = std::filesystem::temp_directory_path() / ("smallnet_plot_test_" + std::to_string(getpid()));
    std::filesystem::create_directories(folder);
    return folder;
}
}  // namespace

TEST_SUITE("nn.io_plot") {

TEST_CASE("save_plot writes a PNG of the asked size and leaves no temporary file") {
    const auto folder = temp_folder();
    PlotSeries line{"a line", {1, 2, 3}, {0.5, 0.25, 0.2}, palette_color(0), SeriesStyle::line, 2.0};
    PlotSeries dots{"dots", {1, 2, 3}, {0.4, 0.3, 0.1}, palette_color(1), SeriesStyle::points, 0.5};
    PlotSeries links{"", {1, 2}, {0.4, 0.25}, {0, 0, 0}, SeriesStyle::segments, 1.0};
    PlotOptions options;
    options.title = "test";
    options.x_label = "x";
    options.y_label = "y";
    options.width = 320;
    options.height = 200;
    save_plot(folder / "plot.png", {line, dots, links}, options);
    const PngInfo info = read_png_info(folder / "plot.png");
    CHECK(info.width == 320);
    CHECK(info.height == 200);
    options.log_y = true;
    options.y_tick_labels = {{0.2, "low"}, {0.5, "high"}};
    save_plot(folder / "plot.png", {line}, options);  // replaces it
    CHECK(read_png_info(folder / "plot.png").width == 320);
    // A log x axis (accuracy against labels per class): points at x <= 0 are left out, not an error.
    PlotSeries per_class{"way", {0, 10, 100, 1000}, {50, 60, 70, 80}};
    save_plot(folder / "plot.png", {per_class}, {.log_x = true});
    CHECK(read_png_info(folder / "plot.png").width == 800);
    int files = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(folder)) ++files;
    CHECK(files == 1);
    std::filesystem::remove_all(folder);
}

TEST_CASE("save_confusion_matrix draws n x n counts with the class names; wrong sizes are refused") {
    const auto folder = temp_folder();
    const std::vector<std::string> names = {"cat", "dog", "bird"};
    save_confusion_matrix(folder / "confusion.png", {5, 1, 0, 2, 7, 1, 0, 0, 9}, names, "3 classes");
    CHECK(read_png_info(folder / "confusion.png").width == 760);
    CHECK_THROWS_AS(save_confusion_matrix(folder / "bad.png", {1, 2, 3}, names, "short"), std::invalid_argument);
    CHECK_THROWS_AS(save_confusion_matrix(folder / "bad.png", {1, 0, 0, 0, 1, 0, 0, 0, -1}, names, "negative"),
                    std::invalid_argument);
    CHECK_FALSE(std::filesystem::exists(folder / "bad.png"));
    std::filesystem::remove_all(folder);
}

TEST_CASE("save_plot refuses bad data and unwritable places") {
    const auto folder = temp_folder();
    PlotSeries bad{"bad", {1, 2}, {1, std::nan("")}};
    CHECK_THROWS_AS(save_plot(folder / "bad.png", {bad}), std::invalid_argument);
    PlotSeries uneven{"uneven", {1, 2}, {1}};
    CHECK_THROWS_AS(save_plot(folder / "bad.png", {uneven}), std::invalid_argument);
    CHECK_THROWS_AS(save_plot(folder / "bad.png", {}), std::invalid_argument);
    PlotSeries fine{"fine", {1, 2}, {1, 2}};
    CHECK_THROWS_AS(save_plot(folder / "no" / "such" / "folder.png", {fine}), FileError);
    CHECK_FALSE(std::filesystem::exists(folder / "bad.png"));
    std::filesystem::remove_all(folder);
}

TEST_CASE("plots of many points draw a seeded sample stratified by series, in the original order") {
    PlotSeries many{"many", {}, {}, palette_color(0), SeriesStyle::points, 0.3};
    for (int i = 0; i < 300'000; ++i) many.x.push_back(i), many.y.push_back(-i);
    PlotSeries few{"few", {5, 6, 7}, {1, 2, 3}, palette_color(1), SeriesStyle::points, 0.3};
    PlotSeries curve{"curve", {0, 1, 2, 3}, {0, 1, 4, 9}, palette_color(2), SeriesStyle::line, 1.0};
    CHECK(count_dots({many, few, curve}) == 300'003);
    const std::vector<PlotSeries> sample = sample_dots({many, few, curve}, 1000);
    REQUIRE(sample.size() == 3);
    CHECK(sample[0].x.size() == 999);  // its share of 1000
    CHECK(sample[1].x.size() == 1);    // a small series keeps a dot
    CHECK(sample[2].x == curve.x);     // lines are drawn whole
    for (std::size_t i = 0; i < sample[0].x.size(); ++i) {
        CHECK(sample[0].y[i] == -sample[0].x[i]);  // pairs stay together
        if (i > 0) CHECK(sample[0].x[i] > sample[0].x[i - 1]);
    }
    // Spread over the whole series, not its start.
    CHECK(sample[0].x.front() < 3'000);
    CHECK(sample[0].x.back() > 297'000);
    const std::vector<PlotSeries> again = sample_dots({many, few, curve}, 1000);
    CHECK(again[0].x == sample[0].x);
    CHECK(sample_dots({few}, 1000)[0].x == few.x);  // under the limit: untouched
    CHECK_THROWS_AS(sample_dots({few}, 0), std::invalid_argument);

    const auto folder = temp_folder();
    PlotOptions options;
    options.title = "a million dots";
    options.width = 200;
    options.height = 150;
    many.x.resize(1'000'000, 1.0);
    many.y.resize(1'000'000, 2.0);
    save_plot(folder / "many.png", {many, few}, options);
    CHECK(read_png_info(folder / "many.png").width == 200);
    std::filesystem::remove_all(folder);
}

}
