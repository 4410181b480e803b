// A scatter plot of n points: save_plot draws at most PlotOptions::max_points of them (a seeded,
// stratified sample), so its time must stay flat in n (issue 16: 10 million points took over 8
// minutes when every one was drawn). The points go in two series, as ae2d's classes.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <unistd.h>

#include "nn/io/plot.hpp"
#include "tensor/random.hpp"

using namespace smallnet;

static void BM_save_plot_scatter(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    Generator generator(1);
    std::vector<PlotSeries> series = {{"class 0", {}, {}, palette_color(0), SeriesStyle::points, 0.45},
                                      {"class 1", {}, {}, palette_color(1), SeriesStyle::points, 0.45}};
    for (std::size_t i = 0; i < n; ++i) {
        PlotSeries& s = series[i % 2];
        s.x.push_back(generator.normal());
        s.y.push_back(generator.normal() + static_cast<double>(i % 2));
    }
    const auto path = std::filesystem::temp_directory_path() / ("smallnet_plot_bench_" + std::to_string(::getpid()) + ".png");
    for (auto _ : state) save_plot(path, series, {.title = "points", .equal_aspect = true, .legend_below = true});
    std::filesystem::remove(path);
    state.counters["points"] = static_cast<double>(n);
}
BENCHMARK(BM_save_plot_scatter)->Arg(1'000)->Arg(20'000)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond)
    ->Iterations(3);

BENCHMARK_MAIN();
