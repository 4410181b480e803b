// ae2d: the R keras3 lesson's autoencoder. 1000 points of mlbench's 2dnormals, each feature
// standardised, squeezed through a 1-value code by Dense(2 -> 1) and restored by Dense(1 -> 2),
// trained with Adam on MSE; then 10 points beside their reconstructions, every point's code, and the
// reconstruction error beside PCA's with one component.

#include <CLI/CLI.hpp>

#include <cstdio>

#include "apps/number_options.hpp"
#include "nn/datasets/subset.hpp"
#include "nn/datasets/two_normals.hpp"
#include "nn/io/csv.hpp"
#include "nn/io/history_files.hpp"
#include "nn/io/plot.hpp"
#include "nn/metrics.hpp"
#include "nn/nn.hpp"
#include "nn/output_folder.hpp"
#include "nn/pca.hpp"
#include "nn/preprocessing.hpp"
#include "nn/program.hpp"

using namespace smallnet;

namespace {

struct Settings {
    std::string out = "out/ae2d";
    std::uint64_t seed = 1;
    std::int64_t points = 1000;
    int classes = 2;
    int epochs = 100;
    std::int64_t batch_size = 32;
    bool nonlinear = false;
    bool batch_size_given = false;  // the default shrinks to fewer points; a given size must fit
};

Rgb darker(Rgb c) { return {static_cast<std::uint8_t>(c.r / 2), static_cast<std::uint8_t>(c.g / 2), static_cast<std::uint8_t>(c.b / 2)}; }

void run(const Settings& s) {
    // fit would quietly take one smaller batch; asking for more than the data holds is a mistake.
    if (s.batch_size_given && s.batch_size > s.points)
        throw UsageError("--batch-size " + std::to_string(s.batch_size) + " is larger than the " +
                         std::to_string(s.points) + " points; use at most " + std::to_string(s.points));
    OutputFolder out(s.out, {"points.csv", "history.csv", "weights.safetensors", "reconstruction.png", "codes.png", "loss.png"});
    Generator generator(s.seed);

    // mlbench.2dnormals(1000, cl = 2), then scale(): mean 0, sd 1 per feature.
    const LabelledPoints data = two_normals({.points = s.points, .classes = s.classes}, generator);
    Tensor x = data.x.clone();
    standardize(x);

    // The encoder maps 2 values to 1, the decoder 1 back to 2. The non-linear variant uses relu: with
    // tanh (near-linear at Glorot's small weights) it sat on PCA's line for 300+ epochs before bending.
    // Built here from --seed; the decoder goes on with the encoder's stream (nn/sequential.hpp, "Seeds").
    Sequential encoder = s.nonlinear ? Sequential({Input(2), Dense(64, "relu"), Dense(1)}, "encoder", s.seed)
                                     : Sequential({Input(2), Dense(1)}, "encoder", s.seed);
    Sequential decoder = s.nonlinear ? Sequential({Dense(64, "relu"), Dense(2)}, "decoder")
                                     : Sequential({Dense(2)}, "decoder");
    Sequential autoencoder({encoder, decoder}, "autoencoder");
    autoencoder.compile(Adam(), "mse");
    const History history = autoencoder.fit(x, x, {.epochs = s.epochs, .batch_size = s.batch_size, .seed = s.seed});
    if (history.interrupted && history.steps_trained > 0) {  // Ctrl-C: keep what was trained
        autoencoder.save_weights(out.file("weights.safetensors"));
        save_history_csv(out.file("history.csv"), history);
    }
    throw_if_interrupted(history);

    const Tensor reconstructed = autoencoder.predict(x);
    const Tensor codes = encoder.predict(x);  // the encoder alone: the 1-D representation
    const std::int64_t n = x.size(0);

    // 10 random points beside their reconstructions.
    const std::vector<std::int64_t> shown = sample_indices(n, std::min<std::int64_t>(10, n), generator);
    std::printf("\n%d random points, original and reconstructed (standardised units):\n", static_cast<int>(shown.size()));
    std::printf("%6s %5s %9s %9s   %9s %9s %9s\n", "point", "class", "x1", "x2", "x1_hat", "x2_hat", "code");
    for (std::int64_t i : shown)
        std::printf("%6lld %5d %9.4f %9.4f   %9.4f %9.4f %9.4f\n", static_cast<long long>(i),
                    data.labels[static_cast<std::size_t>(i)], x.at({i, 0}), x.at({i, 1}), reconstructed.at({i, 0}),
                    reconstructed.at({i, 1}), codes.at({i, 0}));

    const double ae_mse = mse(reconstructed, x);
    const Pca pca = fit_pca(x, 1);
    const double pca_mse = pca.reconstruction_mse(x);
    std::printf("\nreconstruction MSE: autoencoder %.6f, PCA (1 component) %.6f\n", ae_mse, pca_mse);

    CsvTable table{{"x1", "x2", "class", "code", "x1_hat", "x2_hat"}, {}};
    for (std::int64_t i = 0; i < n; ++i)
        table.rows.push_back({x.at({i, 0}), x.at({i, 1}), static_cast<double>(data.labels[static_cast<std::size_t>(i)]),
                              codes.at({i, 0}), reconstructed.at({i, 0}), reconstructed.at({i, 1})});
    save_csv(out.file("points.csv"), table);
    save_history_csv(out.file("history.csv"), history);
    autoencoder.save_weights(out.file("weights.safetensors"));

    // (1) originals and reconstructions by class; the table's points joined to their reconstructions.
    std::vector<PlotSeries> scatter;
    for (int c = 0; c < s.classes; ++c) {
        PlotSeries original{"class " + std::to_string(c), {}, {}, palette_color(c), SeriesStyle::points, 0.45};
        PlotSeries restored{"class " + std::to_string(c) + " reconstructed", {}, {}, darker(palette_color(c)),
                            SeriesStyle::points, 0.6};
        for (std::int64_t i = 0; i < n; ++i) {
            if (data.labels[static_cast<std::size_t>(i)] != c) continue;
            original.x.push_back(x.data()[2 * i]);
            original.y.push_back(x.data()[2 * i + 1]);
            restored.x.push_back(reconstructed.data()[2 * i]);
            restored.y.push_back(reconstructed.data()[2 * i + 1]);
        }
        scatter.push_back(std::move(original));
        scatter.push_back(std::move(restored));
    }
    PlotSeries links{"10 points -> reconstruction", {}, {}, {0, 0, 0}, SeriesStyle::segments, 1.5};
    for (std::int64_t i : shown) {
        links.x.insert(links.x.end(), {x.at({i, 0}), reconstructed.at({i, 0})});
        links.y.insert(links.y.end(), {x.at({i, 1}), reconstructed.at({i, 1})});
    }
    scatter.push_back(std::move(links));
    save_plot(out.file("reconstruction.png"), scatter,
              {.title = "2dnormals: original and reconstructed points", .x_label = "x1 (standardised)",
               .y_label = "x2 (standardised)", .width = 800, .height = 860, .equal_aspect = true, .legend_below = true});

    // (2) every point's code, one strip per class (jittered vertically).
    std::vector<PlotSeries> strips;
    std::vector<std::pair<double, std::string>> ticks;
    Generator jitter(s.seed + 1);
    for (int c = 0; c < s.classes; ++c) {
        PlotSeries strip{"", {}, {}, palette_color(c), SeriesStyle::points, 0.45};  // the y axis names the class
        for (std::int64_t i = 0; i < n; ++i) {
            if (data.labels[static_cast<std::size_t>(i)] != c) continue;
            strip.x.push_back(codes.data()[i]);
            strip.y.push_back(c + (jitter.uniform() - 0.5) * 0.5);
        }
        strips.push_back(std::move(strip));
        ticks.emplace_back(c, "class " + std::to_string(c));
    }
    save_plot(out.file("codes.png"), strips,
              {.title = "1-D codes from the encoder", .x_label = "code", .y_label = "", .height = 400,
               .y_tick_labels = ticks});

    // (3) the loss curve.
    save_loss_plot(out.file("loss.png"), history, "2dnormals autoencoder: training loss", "mse");

    std::printf("\n");
    out.commit();
    print_written_files(stdout, out.path(), out.files());
}

}  // namespace

int main(int argc, char** argv) {
    Settings s;
    CLI::App app{"ae2d: an autoencoder compresses 2-D points (mlbench's 2dnormals) to 1 value and restores them"};
    app.add_option("--out", s.out, "output folder")->capture_default_str();
    app.add_option("--seed", s.seed, "seed of the data, the weights and the shuffling")
        ->transform(whole_number(0, UINT64_MAX))->capture_default_str();
    app.add_option("-n,--points", s.points, "number of points")->transform(whole_number(10, 10'000'000))->capture_default_str();
    app.add_option("--classes", s.classes, "number of classes (2dnormals' cl)")->transform(whole_number(1, 20))->capture_default_str();
    app.add_option("--epochs", s.epochs, "training epochs")->transform(whole_number(1, 100'000))->capture_default_str();
    app.add_option("--batch-size", s.batch_size, "samples per step")->transform(whole_number(1, 10'000'000))->capture_default_str();
    app.add_flag("--nonlinear", s.nonlinear, "2 -> 64 relu -> 1 -> 64 relu -> 2 instead of Dense(2 -> 1) -> Dense(1 -> 2)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return app.exit(error) == 0 ? 0 : exit_usage_error;
    }
    s.batch_size_given = app.count("--batch-size") > 0;
    return run_program("ae2d", [&] { run(s); });
}
