// ae_mnist classify: "feature extraction before classification". The same small classifiers (softmax
// regression, and one hidden layer) trained on three representations of the images: the raw pixels,
// the autoencoder's codes and PCA's codes of the same size; a table of test accuracy and training
// time, the confusion matrix of the best.
#include "apps/ae_mnist/ae_mnist.hpp"

namespace smallnet::ae_mnist {

namespace {

// Inputs of one representation: the training and test sets, and how many features each sample has.
struct Representation {
    std::string name;
    Data train, test;
    std::int64_t features;
};

// Codes standardised with the training set's scaling, as one would before a linear model: their
// units differ in scale (relu codes, PCA's decreasing variances), the pixels' do not.
Representation standardized(std::string name, Tensor train, Tensor test) {
    const ColumnScaling scaling = standardize(train);
    apply_scaling(scaling, test);
    const std::int64_t features = train.size(1);
    return {std::move(name), Data(train), Data(test), features};
}

struct Classifier {
    std::string name;
    std::int64_t hidden;  // 0: softmax regression
};

struct Result {
    std::string representation, classifier;
    std::int64_t features;
    double accuracy, seconds;
    std::vector<std::int64_t> confusion;  // [true][predicted], 10 x 10
};

Result classify(const Representation& r, const Classifier& c, const MnistData& data, const Settings& s) {
    Sequential model({Input(r.features)}, "", s.seed);  // built here: the layers added draw on from --seed
    if (c.hidden > 0) model.add(Dense(c.hidden, "relu"));
    model.add(Dense(10, "softmax"));
    model.compile(Adam(), "sparse_categorical_crossentropy", {.metrics = {"accuracy"}});
    const History history = model.fit(r.train, data.train.labels,
                                      {.epochs = s.classifier_epochs, .batch_size = s.batch_size, .verbose = 0, .seed = s.seed});
    throw_if_interrupted(history);
    double seconds = 0.0;
    for (const EpochLogs& e : history.epochs) seconds += e.seconds;
    const double accuracy = *find_value(model.evaluate_parts(r.test, data.test.labels).values, "accuracy");
    const Tensor probabilities = model.predict(r.test);
    std::vector<std::int64_t> confusion(100, 0);
    for (std::int64_t i = 0; i < probabilities.size(0); ++i) {
        const float* row = probabilities.data() + i * 10;
        confusion[data.test.labels[static_cast<std::size_t>(i)] * 10 + (std::max_element(row, row + 10) - row)] += 1;
    }
    std::printf("  %-20s %-24s %8lld %9.2f%% %9.2f s\n", r.name.c_str(), c.name.c_str(),
                static_cast<long long>(r.features), 100 * accuracy, seconds);
    std::fflush(stdout);
    return {r.name, c.name, r.features, accuracy, seconds, confusion};
}

}  // namespace

void run_classify(const Settings& s) {
    OutputFolder out(s.out, {"classify.csv", "confusion.png"});
    const MnistData data = load(s);
    if (s.batch_size_given && s.batch_size > data.train.images.rows())
        throw UsageError("--batch-size " + std::to_string(s.batch_size) + " is larger than the " +
                         std::to_string(data.train.images.rows()) + " training images");

    // The autoencoder: trained here, or the one saved in --weights (dense or conv).
    Autoencoder ae = s.weights.empty() ? make_autoencoder(data.train.images.columns(), s.bottleneck, 128, {}, s.seed)
                                       : saved_autoencoder(s.weights, data.train);
    const bool conv = ae.encoder.input_shape().rank() == 3;
    const Data train_images = conv ? Data(data.train.images).reshape_samples(image_shape(data.train)) : Data(data.train.images);
    const Data test_images = conv ? Data(data.test.images).reshape_samples(image_shape(data.test)) : Data(data.test.images);
    if (s.weights.empty()) {
        std::printf("\nthe autoencoder, trained without labels:\n");
        Settings autoencoder_settings = s;
        autoencoder_settings.batch_size_given = false;  // checked above
        train(ae, autoencoder_settings, train_images, test_images);
    } else {
        ae.model.build(train_images.sample_shape());
        ae.model.load_weights(s.weights);
        std::printf("the autoencoder: %s\n", s.weights.c_str());
    }
    const auto flat = [](const Tensor& codes) { return codes.reshape({codes.size(0), -1}); };
    const Tensor train_codes = flat(ae.encoder.predict(train_images)), test_codes = flat(ae.encoder.predict(test_images));
    const std::int64_t code_size = train_codes.size(1);
    const Pca pca = fit_pca(data.train.images, static_cast<int>(std::min<std::int64_t>(code_size, data.train.images.columns())),
                            {.seed = s.seed});

    const std::vector<Representation> representations = {
        {"raw pixels", data.train.images, data.test.images, data.train.images.columns()},
        standardized("autoencoder codes", train_codes.clone(), test_codes.clone()),
        standardized("PCA codes", pca.transform(data.train.images), pca.transform(data.test.images)),
    };
    const std::vector<Classifier> classifiers = {{"softmax regression", 0}, {"hidden layer (128 relu)", 128}};
    std::printf("\nclassifiers trained on the %lld labelled training images (%d epochs, Adam, batch %lld), "
                "tested on the %lld test images:\n",
                static_cast<long long>(data.train.images.rows()), s.classifier_epochs, static_cast<long long>(s.batch_size),
                static_cast<long long>(data.test.images.rows()));
    std::printf("  %-20s %-24s %8s %10s %11s\n", "representation", "classifier", "features", "accuracy", "training");
    std::vector<Result> results;
    for (const Representation& r : representations)
        for (const Classifier& c : classifiers) results.push_back(classify(r, c, data, s));

    const Result& best = *std::max_element(results.begin(), results.end(),
                                           [](const Result& a, const Result& b) { return a.accuracy < b.accuracy; });
    CsvTable table{{"representation", "classifier", "features", "test_accuracy", "training_seconds"}, {}, {}};
    for (const Result& r : results) {
        table.texts.push_back({r.representation, r.classifier});
        table.rows.push_back({static_cast<double>(r.features), r.accuracy, r.seconds});
    }
    save_csv(out.file("classify.csv"), table);
    char title[160];
    std::snprintf(title, sizeof title, "%s, %s: %.2f%% of the test set", best.representation.c_str(),
                  best.classifier.c_str(), 100 * best.accuracy);
    save_confusion_matrix(out.file("confusion.png"), best.confusion, mnist_class_names(s.data), title);
    std::printf("\nbest: %s\n", title);
    out.commit();
    print_written_files(stdout, out.path(), out.files());
}

}  // namespace smallnet::ae_mnist
