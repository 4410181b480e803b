// ae_mnist pretrain: "pretraining deep networks". The seed's encoder is trained as an autoencoder on
// every training image, without labels; then a classifier (that encoder and a softmax layer) learns
// from only N labelled images per class, three ways: from random weights, from the pretrained encoder
// frozen (only the softmax layer learns), and from the pretrained encoder fine-tuned. Test accuracy,
// mean and spread over seeds, for each N.
#include <cmath>

#include "apps/ae_mnist/ae_mnist.hpp"

namespace smallnet::ae_mnist {

namespace {

struct Way {
    std::string name;
    bool pretrained;  // starts from the autoencoder's encoder
    bool trainable;   // the encoder learns too
};

const std::vector<Way> ways = {{"random weights", false, true},
                               {"pretrained, frozen", true, false},
                               {"pretrained, fine-tuned", true, true}};

// Every classifier takes --classifier-steps steps of 32 images (at least one epoch): the same training
// budget for 100 labelled images as for 10,000.
constexpr std::int64_t classifier_batch = 32;

double test_accuracy(const Way& way, const std::vector<Tensor>& pretrained, const Data& x,
                     const std::vector<std::uint8_t>& labels, const MnistData& data, const Settings& s,
                     std::uint64_t seed) {
    const std::int64_t pixels = data.train.images.columns();
    Sequential encoder = make_autoencoder(pixels, s.bottleneck, 128, {}, seed).encoder;
    if (way.pretrained) encoder.set_weights(pretrained);
    encoder.set_trainable(way.trainable);
    Sequential classifier({encoder, Dense(10, "softmax")}, "classifier");
    classifier.compile(Adam(), "sparse_categorical_crossentropy", {.metrics = {"accuracy"}});
    const std::int64_t batch = std::min(classifier_batch, x.rows());
    const std::int64_t steps_per_epoch = (x.rows() + batch - 1) / batch;
    const int epochs = static_cast<int>(std::max<std::int64_t>(1, (s.classifier_steps + steps_per_epoch - 1) / steps_per_epoch));
    throw_if_interrupted(classifier.fit(x, labels, {.epochs = epochs, .batch_size = batch, .verbose = 0, .seed = seed}));
    return *find_value(classifier.evaluate_parts(data.test.images, data.test.labels).values, "accuracy");
}

struct Spread {
    double mean = 0.0, stddev = 0.0;  // sample standard deviation (0 for one seed)
};

Spread spread_of(const std::vector<double>& values) {
    Spread s;
    for (const double v : values) s.mean += v / static_cast<double>(values.size());
    for (const double v : values) s.stddev += (v - s.mean) * (v - s.mean);
    s.stddev = values.size() > 1 ? std::sqrt(s.stddev / static_cast<double>(values.size() - 1)) : 0.0;
    return s;
}

}  // namespace

void run_pretrain(const Settings& s) {
    OutputFolder out(s.out, {"weights.safetensors", "pretrain.csv", "pretrain.png"});
    const MnistData data = load(s);
    // Every class must have the most labelled images asked for: said before any training.
    const std::int64_t most = *std::max_element(s.labels_per_class.begin(), s.labels_per_class.end());
    for (int c = 0; c < 10; ++c) {
        const auto count = std::count(data.train.labels.begin(), data.train.labels.end(), c);
        if (count < most)
            throw UsageError("--labels-per-class " + std::to_string(most) + ": class " + std::to_string(c) +
                             " has only " + std::to_string(count) + " training images" +
                             (s.limit > 0 ? " (after --limit " + std::to_string(s.limit) + ")" : ""));
    }

    std::printf("\npretraining: the autoencoder on all %lld training images, without labels\n",
                static_cast<long long>(data.train.images.rows()));
    Autoencoder ae = make_autoencoder(data.train.images.columns(), s.bottleneck, 128, {}, s.seed);
    train(ae, s, data.train.images, data.test.images, {.out = &out});
    ae.model.save_weights(out.file("weights.safetensors"));
    const std::vector<Tensor> pretrained = ae.encoder.get_weights();

    std::printf("\nclassifiers (the encoder + Dense(10, softmax)) trained on N labelled images per class, %lld steps "
                "of %lld; test accuracy on %lld images, mean ± sd over %d seed%s:\n",
                static_cast<long long>(s.classifier_steps), static_cast<long long>(classifier_batch),
                static_cast<long long>(data.test.images.rows()), s.seeds, s.seeds == 1 ? "" : "s");
    std::printf("  %16s", "labels per class");
    for (const Way& way : ways) std::printf("  %24s", way.name.c_str());
    std::printf("\n");
    CsvTable table{{"way", "labels_per_class", "seed", "test_accuracy"}, {}, {}};
    std::vector<PlotSeries> means(ways.size()), points(ways.size());
    for (std::size_t w = 0; w < ways.size(); ++w) {
        means[w] = {ways[w].name, {}, {}, palette_color(static_cast<int>(w)), SeriesStyle::line, 2.0};
        points[w] = {"", {}, {}, palette_color(static_cast<int>(w)), SeriesStyle::points, 0.5};
    }
    for (const std::int64_t n : s.labels_per_class) {
        std::printf("  %16lld", static_cast<long long>(n));
        std::vector<std::vector<double>> accuracies(ways.size());
        for (int seed = 1; seed <= s.seeds; ++seed) {
            const std::uint64_t run_seed = s.seed * 1000 + static_cast<std::uint64_t>(seed);
            Generator picker(run_seed);
            const std::vector<std::int64_t> picked = sample_per_class(data.train.labels, 10, n, picker);
            const Data x = take_rows(data.train.images, picked);
            const std::vector<std::uint8_t> labels = take_labels(data.train.labels, picked);
            for (std::size_t w = 0; w < ways.size(); ++w) {
                const double accuracy = test_accuracy(ways[w], pretrained, x, labels, data, s, run_seed);
                accuracies[w].push_back(accuracy);
                table.texts.push_back({ways[w].name});
                table.rows.push_back({static_cast<double>(n), static_cast<double>(seed), accuracy});
                points[w].x.push_back(static_cast<double>(n));
                points[w].y.push_back(100 * accuracy);
            }
        }
        for (std::size_t w = 0; w < ways.size(); ++w) {
            const Spread spread = spread_of(accuracies[w]);
            std::printf("  %15.2f%% ± %5.2f", 100 * spread.mean, 100 * spread.stddev);
            means[w].x.push_back(static_cast<double>(n));
            means[w].y.push_back(100 * spread.mean);
        }
        std::printf("\n");
        std::fflush(stdout);
    }
    save_csv(out.file("pretrain.csv"), table);
    std::vector<PlotSeries> series = points;
    series.insert(series.end(), means.begin(), means.end());
    save_plot(out.file("pretrain.png"), series,
              {.title = "A classifier from few labels: the encoder pretrained without labels, or not",
               .x_label = "labelled training images per class",
               .y_label = "test accuracy (%)",
               .log_x = true,
               .legend_below = true});
    out.commit();
    print_written_files(stdout, out.path(), out.files());
}

}  // namespace smallnet::ae_mnist
