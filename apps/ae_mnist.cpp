// ae_mnist: the TensorFlow Keras notes' MNIST autoencoder, 784 -> 128 -> 32 -> 128 -> 784
// (relu, sigmoid output), Adam, MSE, 5 epochs of batch 256, validated on the test set, with PCA of
// the same size as the linear baseline; the notes' other uses: `denoise` (noisy input, clean
// target), `anomaly` (train on the normal classes, score by reconstruction error) and `encode` (the
// trained encoder's codes of a data set); and `conv`, the Keras blog's convolutional autoencoder.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "nn/datasets/subset.hpp"
#include "nn/io/csv.hpp"
#include "nn/io/history_files.hpp"
#include "nn/io/mnist.hpp"
#include "nn/io/npy.hpp"
#include "nn/io/png.hpp"
#include "nn/io/safetensors.hpp"
#include "nn/metrics.hpp"
#include "nn/nn.hpp"
#include "nn/noise.hpp"
#include "nn/pca.hpp"
#include "nn/program.hpp"

using namespace smallnet;

namespace {

struct Settings {
    std::string data = "/usr/share/datasets/fashion-mnist";
    std::string out;  // per command: out/, out/denoise, out/anomaly, out/encode
    std::uint64_t seed = 1;
    int epochs = 5;
    std::int64_t batch_size = 256;
    bool batch_size_given = false;  // the default shrinks to a smaller data set; a given size must fit
    std::int64_t bottleneck = 32;
    std::string loss = "mse";
    std::string model = "dense";    // denoise: dense or conv
    std::string checkpoint;  // saved after every epoch when given
    int threads = 0;
    std::int64_t limit = 0;
    // denoise
    float noise_stddev = 0.2f;
    float salt_and_pepper = 0.05f;
    // anomaly
    int anomaly_class = 1;
    double fpr = 0.05;
    // encode
    std::string weights;
    std::string split = "test";
};

struct Autoencoder {
    Sequential encoder, decoder, model;
};

// An image as a conv model sees it: [height, width, 1].
Shape image_shape(const MnistSplit& split) { return Shape{split.rows, split.columns, 1}; }

// The seed's model; `corruption` layers (noise, active only in training) go in front of the encoder.
Autoencoder make_autoencoder(std::int64_t pixels, std::int64_t bottleneck, std::int64_t hidden = 128,
                             std::vector<Layer> corruption = {}) {
    Sequential encoder({Input(pixels), Dense(hidden, "relu"), Dense(bottleneck, "relu")}, "encoder");
    Sequential decoder({Dense(hidden, "relu"), Dense(pixels, "sigmoid")}, "decoder");
    corruption.push_back(encoder);
    corruption.push_back(decoder);
    return {encoder, decoder, Sequential(corruption, "autoencoder")};
}

const Conv2DOptions same{.padding = Padding::same};
const MaxPooling2DOptions same_pool{.padding = Padding::same};

// The Keras blog's convolutional autoencoder ("Building Autoencoders in Keras"): a 4x4x8 code for a
// 28x28 image, 128 numbers.
Autoencoder make_conv_autoencoder(const Shape& image) {
    Sequential encoder({Input(image), Conv2D(16, 3, "relu", same), MaxPooling2D(2, same_pool),
                        Conv2D(8, 3, "relu", same), MaxPooling2D(2, same_pool),
                        Conv2D(8, 3, "relu", same), MaxPooling2D(2, same_pool)}, "encoder");
    Sequential decoder({Conv2D(8, 3, "relu", same), UpSampling2D(2),
                        Conv2D(8, 3, "relu", same), UpSampling2D(2),
                        Conv2D(16, 3, "relu"), UpSampling2D(2),
                        Conv2D(1, 3, "sigmoid", same)}, "decoder");
    return {encoder, decoder, Sequential({encoder, decoder}, "autoencoder")};
}

// keras.io's "Convolutional autoencoder for image denoising", with `corruption` in front.
Autoencoder make_conv_denoiser(const Shape& image, std::vector<Layer> corruption) {
    const Conv2DOptions upsample{.strides = 2, .padding = Padding::same};
    Sequential encoder({Input(image), Conv2D(32, 3, "relu", same), MaxPooling2D(2, same_pool),
                        Conv2D(32, 3, "relu", same), MaxPooling2D(2, same_pool)}, "encoder");
    Sequential decoder({Conv2DTranspose(32, 3, "relu", upsample), Conv2DTranspose(32, 3, "relu", upsample),
                        Conv2D(1, 3, "sigmoid", same)}, "decoder");
    corruption.push_back(encoder);
    corruption.push_back(decoder);
    return {encoder, decoder, Sequential(corruption, "autoencoder")};
}

MnistData load(const Settings& s) {
    MnistData data = read_mnist(s.data);
    if (s.limit > 0)
        for (MnistSplit* split : {&data.train, &data.test}) {
            const std::int64_t n = std::min(s.limit, split->images.rows());
            split->images = split->images.row_range(0, n);
            split->labels.resize(static_cast<std::size_t>(n));
        }
    std::printf("data: %s: %lld training and %lld test images of %lldx%lld\n", s.data.c_str(),
                static_cast<long long>(data.train.images.rows()), static_cast<long long>(data.test.images.rows()),
                static_cast<long long>(data.train.rows), static_cast<long long>(data.train.columns));
    return data;
}

// A baseline trained beside the main model prints a line per epoch and writes no checkpoint.
History train(Autoencoder& ae, const Settings& s, const Data& x, const Data& validation, bool baseline = false) {
    // fit would quietly take one smaller batch; a user who asked for more than the data holds has
    // most likely mistyped, or limited the data more than meant.
    if (s.batch_size_given && s.batch_size > x.rows())
        throw UsageError("--batch-size " + std::to_string(s.batch_size) + " is larger than the " +
                         std::to_string(x.rows()) + " training images; use at most " + std::to_string(x.rows()));
    std::vector<CallbackHandle> callbacks;
    if (!s.checkpoint.empty() && !baseline) {
        const std::filesystem::path checkpoint = s.checkpoint;
        make_output_folder(checkpoint.has_parent_path() ? checkpoint.parent_path() : ".");
        callbacks.push_back(ModelCheckpoint(checkpoint));  // Keras' defaults: after every epoch
    }
    ae.model.build(x.sample_shape(), s.seed);  // as fit would, so the summary can count the weights
    if (!baseline) std::printf("%s", ae.model.summary().c_str());
    ae.model.compile(Adam(), s.loss);
    return ae.model.fit(x, x, {.epochs = s.epochs, .batch_size = s.batch_size, .validation_data = {validation, validation},
                               .callbacks = callbacks, .verbose = baseline ? 2 : 1, .seed = s.seed});
}

// Rows `indices` of x as a [count, pixels] tensor.
Tensor pick(const Tensor& x, const std::vector<std::int64_t>& indices) { return take_rows(x, indices); }

// ---- ae_mnist: train, codes, pictures, PCA baseline -------------------------------------------
void run_train(const Settings& s) {
    const std::filesystem::path out = s.out;
    make_output_folder(out);
    const MnistData data = load(s);
    const MnistSplit &train_set = data.train, &test_set = data.test;
    const std::int64_t pixels = train_set.images.columns();

    Autoencoder ae = make_autoencoder(pixels, s.bottleneck);
    const History history = train(ae, s, train_set.images, test_set.images);
    ae.model.save_weights(out / "weights.safetensors");
    save_history_csv(out / "history.csv", history);
    save_loss_plot(out / "loss.png", history, "Autoencoder " + std::to_string(pixels) + "-128-" +
                                                  std::to_string(s.bottleneck) + "-128-" + std::to_string(pixels),
                   s.loss);

    const Tensor test_x = test_set.images.to_tensor();
    const Tensor reconstructed = ae.model.predict(test_x);
    save_npy(out / "codes.npy", ae.encoder.predict(test_x));
    const auto shown = one_per_class(test_set.labels, 10, std::min<std::int64_t>(10, test_x.size(0)));
    save_image_grid(out / "reconstructions.png", {pick(test_x, shown), pick(reconstructed, shown)},
                    static_cast<int>(test_set.rows), static_cast<int>(test_set.columns));

    const Pca pca = fit_pca(train_set.images, static_cast<int>(s.bottleneck), {.seed = s.seed});
    if (!pca.converged)
        std::fprintf(stderr, "ae_mnist: warning: PCA did not converge (residual %.2e after %d iterations)\n",
                     pca.residual, pca.iterations);
    std::printf("\ntest reconstruction MSE: autoencoder %.5f, PCA (%lld components) %.5f\n", mse(reconstructed, test_x),
                static_cast<long long>(s.bottleneck), pca.reconstruction_mse(test_x));
    std::printf("PCA: %.1f%% of the variance; %d block power iterations, residual %.1e\n",
                100 * std::accumulate(pca.variances.begin(), pca.variances.end(), 0.0) / pca.total_variance,
                pca.iterations, pca.residual);
    print_written_files(stdout, out,
                        {"weights.safetensors", "history.csv", "loss.png", "reconstructions.png", "codes.npy"});
}

// ---- ae_mnist conv ----------------------------------------------------------------------------
void run_conv(const Settings& s) {
    const std::filesystem::path out = s.out;
    make_output_folder(out);
    const MnistData data = load(s);
    const std::int64_t pixels = data.train.images.columns();
    const Shape image = image_shape(data.train);
    // Keras' x.reshape(-1, 28, 28, 1): the same bytes seen as images.
    const Data train_images = Data(data.train.images).reshape_samples(image);
    const Data test_images = Data(data.test.images).reshape_samples(image);

    Autoencoder ae = make_conv_autoencoder(image);
    const History history = train(ae, s, train_images, test_images);
    ae.model.save_weights(out / "weights.safetensors");
    save_history_csv(out / "history.csv", history);
    save_loss_plot(out / "loss.png", history, "Convolutional autoencoder (Keras blog)", s.loss);

    const Tensor test_x = data.test.images.to_tensor();  // [images, pixels]
    const Tensor reconstructed = ae.model.predict(test_images).reshape({-1, pixels});
    const Tensor codes = ae.encoder.predict(test_images);
    save_npy(out / "codes.npy", codes);
    const auto shown = one_per_class(data.test.labels, 10, std::min<std::int64_t>(10, test_x.size(0)));
    save_image_grid(out / "reconstructions.png", {pick(test_x, shown), pick(reconstructed, shown)},
                    static_cast<int>(data.test.rows), static_cast<int>(data.test.columns));

    // The baselines at the same code size: the dense autoencoder and PCA.
    const std::int64_t code_size = ae.encoder.output_size();
    std::printf("\nbaseline: the dense autoencoder %lld-128-%lld-128-%lld, the same loss and training\n",
                static_cast<long long>(pixels), static_cast<long long>(code_size), static_cast<long long>(pixels));
    Autoencoder dense = make_autoencoder(pixels, code_size);
    train(dense, s, data.train.images, data.test.images, true);
    const Tensor dense_reconstructed = dense.model.predict(test_x);
    const Pca pca = fit_pca(data.train.images, static_cast<int>(code_size), {.seed = s.seed});
    const Tensor pca_reconstructed = pca.inverse_transform(pca.transform(test_x));

    std::printf("\ntest reconstruction, every model coding an image in %lld numbers:\n", static_cast<long long>(code_size));
    std::printf("  %-42s %9s %9s\n", "", "BCE", "MSE");
    const auto row = [&](const std::string& name, const Tensor& prediction) {
        std::printf("  %-42s %9.5f %9.5f\n", name.c_str(), mean_loss(Loss::binary_crossentropy, prediction, test_x),
                    mse(prediction, test_x));
    };
    std::string code_shape;
    for (const std::int64_t d : ae.encoder.output_shape()) code_shape += (code_shape.empty() ? "" : "x") + std::to_string(d);
    row("conv autoencoder (" + code_shape + " code)", reconstructed);
    row("dense autoencoder", dense_reconstructed);
    row("PCA (" + std::to_string(code_size) + " components)", pca_reconstructed);
    print_written_files(stdout, out,
                        {"weights.safetensors", "history.csv", "loss.png", "reconstructions.png", "codes.npy"});
}

// ---- ae_mnist denoise -------------------------------------------------------------------------
void run_denoise(const Settings& s) {
    const std::filesystem::path out = s.out;
    make_output_folder(out);
    const MnistData data = load(s);
    const std::int64_t pixels = data.train.images.columns();
    const Shape image = image_shape(data.train);
    const bool conv = s.model == "conv";

    std::vector<Layer> corruption = {GaussianNoise(s.noise_stddev), SaltAndPepper(s.salt_and_pepper)};
    Autoencoder ae = conv ? make_conv_denoiser(image, corruption) : make_autoencoder(pixels, s.bottleneck, 128, corruption);
    const Data train_x = conv ? Data(data.train.images).reshape_samples(image) : Data(data.train.images);
    const Data test_x = conv ? Data(data.test.images).reshape_samples(image) : Data(data.test.images);
    const History history = train(ae, s, train_x, test_x);
    ae.model.save_weights(out / "weights.safetensors");
    save_history_csv(out / "history.csv", history);
    save_loss_plot(out / "loss.png", history,
                   std::string(conv ? "Convolutional denoiser" : "Denoising autoencoder") + " (val: clean input)", s.loss);

    // The same kinds of noise on the test images, from a generator of their own.
    const Tensor clean = data.test.images.to_tensor();
    Generator generator(s.seed + 1);
    const Tensor noisy = add_noise(clean, {.gaussian_stddev = s.noise_stddev, .salt_and_pepper = s.salt_and_pepper}, generator);
    const Tensor denoised =
        conv ? ae.model.predict(noisy.reshape({-1, image[0], image[1], 1})).reshape({-1, pixels}) : ae.model.predict(noisy);
    const auto shown = one_per_class(data.test.labels, 10, std::min<std::int64_t>(10, clean.size(0)));
    save_image_grid(out / "denoised.png", {pick(noisy, shown), pick(denoised, shown), pick(clean, shown)},
                    static_cast<int>(data.test.rows), static_cast<int>(data.test.columns));
    std::printf("\ntest PSNR against the clean images (mean over images): noisy %.2f dB, denoised %.2f dB\n",
                mean_row_psnr(noisy, clean), mean_row_psnr(denoised, clean));
    print_written_files(stdout, out, {"weights.safetensors", "history.csv", "loss.png", "denoised.png"});
}

// ---- ae_mnist anomaly -------------------------------------------------------------------------
void run_anomaly(const Settings& s) {
    const std::filesystem::path out = s.out;
    make_output_folder(out);
    const MnistData data = load(s);
    const std::int64_t pixels = data.train.images.columns();
    const auto normal = [&](std::uint8_t label) { return label != s.anomaly_class; };
    const ByteMatrix train_normal = take_rows(data.train.images, indices_where(data.train.labels, normal));
    const ByteMatrix test_normal = take_rows(data.test.images, indices_where(data.test.labels, normal));
    std::printf("training on the %lld images not of class %d\n", static_cast<long long>(train_normal.rows()), s.anomaly_class);

    Autoencoder ae = make_autoencoder(pixels, s.bottleneck);
    const History history = train(ae, s, train_normal, test_normal);
    ae.model.save_weights(out / "weights.safetensors");
    save_history_csv(out / "history.csv", history);
    save_loss_plot(out / "loss.png", history, "Autoencoder of the normal classes", s.loss);

    // Score: each test image's reconstruction error; positive: the held-out class.
    const Tensor test_x = data.test.images.to_tensor();
    const Tensor reconstructed = ae.model.predict(test_x);
    const std::vector<double> scores = row_mse(reconstructed, test_x);
    std::vector<std::uint8_t> anomalous(data.test.labels.size());
    for (std::size_t i = 0; i < anomalous.size(); ++i) anomalous[i] = data.test.labels[i] == s.anomaly_class;
    const double auc = roc_auc(scores, anomalous);
    const OperatingPoint point = threshold_at_fpr(scores, anomalous, s.fpr);

    CsvTable table{{"index", "label", "score", "anomalous", "flagged"}, {}};
    for (std::size_t i = 0; i < scores.size(); ++i)
        table.rows.push_back({static_cast<double>(i), static_cast<double>(data.test.labels[i]), scores[i],
                              static_cast<double>(anomalous[i]), scores[i] > point.threshold ? 1.0 : 0.0});
    save_csv(out / "scores.csv", table);

    // The 10 highest and 10 lowest scores, each above its reconstruction.
    std::vector<std::int64_t> order(scores.size());
    std::iota(order.begin(), order.end(), std::int64_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) { return scores[static_cast<std::size_t>(a)] > scores[static_cast<std::size_t>(b)]; });
    const auto count = std::min<std::size_t>(10, order.size());
    const std::vector<std::int64_t> most(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(count));
    const std::vector<std::int64_t> least(order.end() - static_cast<std::ptrdiff_t>(count), order.end());
    save_image_grid(out / "anomalies.png",
                    {pick(test_x, most), pick(reconstructed, most), pick(test_x, least), pick(reconstructed, least)},
                    static_cast<int>(data.test.rows), static_cast<int>(data.test.columns));

    std::printf("\nanomaly class %d: ROC-AUC %.4f\n", s.anomaly_class, auc);
    std::printf("threshold at false-positive rate <= %.3f: score > %.6f flags %.1f%% of class %d (false-positive rate %.3f)\n",
                s.fpr, point.threshold, 100 * point.true_positive_rate, s.anomaly_class, point.false_positive_rate);
    print_written_files(stdout, out, {"weights.safetensors", "history.csv", "loss.png", "scores.csv", "anomalies.png"});
}

// ---- ae_mnist encode --------------------------------------------------------------------------
// The autoencoder a weight file was saved from, rebuilt from the shapes in it: the dense one (sizes
// from its kernels) or one of the conv models (told apart by their first kernel's filters).
Autoencoder saved_autoencoder(const std::filesystem::path& weights, const MnistSplit& split) {
    const NamedTensors tensors = load_safetensors(weights);
    const auto shape_of = [&](const std::string& name) -> const Shape& {
        for (const auto& [key, tensor] : tensors)
            if (key == name) return tensor.shape();
        throw std::runtime_error(weights.string() + ": not an ae_mnist weight file (no tensor '" + name + "')");
    };
    const Shape& first = shape_of("encoder.0.kernel");
    if (first.rank() == 4 && first[3] == 16) return make_conv_autoencoder(image_shape(split));
    if (first.rank() == 4 && first[3] == 32) return make_conv_denoiser(image_shape(split), {});
    const Shape& second = shape_of("encoder.1.kernel");
    if (first.rank() != 2 || second.rank() != 2)
        throw std::runtime_error(weights.string() + ": not an ae_mnist weight file (encoder.0.kernel is " +
                                 first.to_string() + ")");
    if (split.images.columns() != first[0])
        throw std::runtime_error(weights.string() + " is for images of " + std::to_string(first[0]) + " pixels, but the data holds images of " +
                                 std::to_string(split.images.columns()));
    return make_autoencoder(first[0], second[1], first[1]);
}

void run_encode(const Settings& s) {
    const std::filesystem::path out = s.out;
    make_output_folder(out);
    MnistSplit split = read_mnist_split(s.data, s.split == "train" ? "train" : "t10k");
    if (s.limit > 0) {
        const std::int64_t n = std::min(s.limit, split.images.rows());
        split.images = split.images.row_range(0, n);
        split.labels.resize(static_cast<std::size_t>(n));
    }
    Autoencoder ae = saved_autoencoder(s.weights, split);
    const Data images = ae.encoder.input_shape().rank() == 3 ? Data(split.images).reshape_samples(image_shape(split))
                                                            : Data(split.images);
    ae.model.build(images.sample_shape());
    ae.model.load_weights(s.weights);

    const Tensor codes = ae.encoder.predict(images);
    save_npy(out / "codes.npy", codes);
    const Tensor rows = codes.reshape({codes.size(0), -1});  // a conv code [4, 4, 8] as 128 columns
    CsvTable table{{"label"}, {}};
    for (std::int64_t j = 0; j < rows.size(1); ++j) table.header.push_back("code" + std::to_string(j + 1));
    for (std::int64_t i = 0; i < rows.size(0); ++i) {
        std::vector<double> row = {static_cast<double>(split.labels[static_cast<std::size_t>(i)])};
        for (std::int64_t j = 0; j < rows.size(1); ++j) row.push_back(rows.data()[i * rows.size(1) + j]);
        table.rows.push_back(std::move(row));
    }
    save_csv(out / "codes.csv", table);
    std::printf("encoded the %lld %s images of %s with %s: %lld codes of shape %s\n",
                static_cast<long long>(codes.size(0)), s.split.c_str(), s.data.c_str(), s.weights.c_str(),
                static_cast<long long>(codes.size(0)), batch_shape_string(ae.encoder.output_shape()).c_str());
    print_written_files(stdout, out, {"codes.npy", "codes.csv"});
}

// ---- command line -----------------------------------------------------------------------------
void add_data_options(CLI::App& app, Settings& s) {
    app.add_option("--data", s.data, "MNIST-format folder (train-images-idx3-ubyte[.gz], ...)")->capture_default_str();
    app.add_option("--seed", s.seed, "seed of the weights, the shuffling and the noise")->capture_default_str();
    app.add_option("--threads", s.threads, "worker threads (0: one per core)")->check(CLI::Range(0, 1024))->capture_default_str();
    app.add_option("--limit", s.limit, "use only the first N images of each split (0: all)")->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 40));
}

// Conv models have a fixed code and default to batch 128 and bce, as their Keras originals.
void add_training_options(CLI::App& app, Settings& s, bool conv = false) {
    add_data_options(app, s);
    app.add_option("--epochs", s.epochs, "training epochs")->check(CLI::Range(1, 100'000))->capture_default_str();
    app.add_option("--batch-size", s.batch_size, conv ? "images per step (default 128)" : "images per step (default 256)")
        ->check(CLI::Range(1, 1'000'000));
    if (!conv)
        app.add_option("--bottleneck", s.bottleneck, "size of the code (and PCA's number of components)")->check(CLI::Range(1, 4096))->capture_default_str();
    app.add_option("--loss", s.loss, conv ? "reconstruction loss (default bce)" : "reconstruction loss (default mse)")
        ->check(CLI::IsMember({"mse", "bce"}));
    app.add_option("--checkpoint", s.checkpoint,
                   "save the weights to this file after every epoch (atomically, as Keras' ModelCheckpoint)");
}

}  // namespace

int main(int argc, char** argv) {
    Settings s;
    CLI::App app{"ae_mnist: the Keras MNIST autoencoder (784-128-32-128-784) with a PCA baseline, and its uses.\n"
                 "Without a subcommand: train, then write weights, history, pictures and test codes."};
    app.require_subcommand(0, 1);
    std::string train_out = "out", conv_out = "out/conv", denoise_out = "out/denoise", anomaly_out = "out/anomaly",
                encode_out = "out/encode";
    add_training_options(app, s);
    app.add_option("--out", train_out, "output folder")->capture_default_str();

    CLI::App* conv = app.add_subcommand("conv", "the Keras blog's convolutional autoencoder (4x4x8 code), beside the dense one and PCA");
    add_training_options(*conv, s, true);
    conv->add_option("--out", conv_out, "output folder")->capture_default_str();

    CLI::App* denoise = app.add_subcommand("denoise", "train to remove noise (Gaussian, salt and pepper) and measure PSNR");
    add_training_options(*denoise, s);
    denoise->add_option("--out", denoise_out, "output folder")->capture_default_str();
    denoise->add_option("--model", s.model, "dense: the seed's autoencoder; conv: keras.io's convolutional denoiser")
        ->check(CLI::IsMember({"dense", "conv"}))->capture_default_str();
    denoise->add_option("--noise-stddev", s.noise_stddev, "standard deviation of the Gaussian noise (0: none)")->check(CLI::Range(0.0f, 10.0f))->capture_default_str();
    denoise->add_option("--salt-pepper", s.salt_and_pepper, "fraction of pixels set to 0 or 1 (0: none)")->check(CLI::Range(0.0f, 1.0f))->capture_default_str();

    CLI::App* anomaly = app.add_subcommand("anomaly", "train on all classes but one; detect that class by reconstruction error");
    add_training_options(*anomaly, s);
    anomaly->add_option("--out", anomaly_out, "output folder")->capture_default_str();
    anomaly->add_option("--anomaly-class", s.anomaly_class, "the held-out (anomalous) class")->check(CLI::Range(0, 9))->capture_default_str();
    anomaly->add_option("--fpr", s.fpr, "false-positive rate the threshold is chosen for")->check(CLI::Range(0.0, 1.0))->capture_default_str();

    CLI::App* encode = app.add_subcommand("encode", "write the codes of a data set with saved weights (codes.npy, codes.csv)");
    add_data_options(*encode, s);
    encode->add_option("--out", encode_out, "output folder")->capture_default_str();
    encode->add_option("--weights", s.weights, "weights.safetensors written by ae_mnist")->required()->check(CLI::ExistingFile);
    encode->add_option("--split", s.split, "which split to encode")->check(CLI::IsMember({"train", "test"}))->capture_default_str();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ExtrasError& error) {
        // CLI11 calls a mistyped subcommand "an argument not expected"; say what was expected.
        const std::vector<std::string> extras = app.remaining();
        if (extras.empty() || extras.front().empty() || extras.front()[0] == '-') return app.exit(error), exit_usage_error;
        std::fprintf(stderr, "ae_mnist: unknown subcommand '%s'; the subcommands are conv, denoise, anomaly and encode "
                             "(none: train)\nRun with --help for more information.\n", extras.front().c_str());
        return exit_usage_error;
    } catch (const CLI::ParseError& error) {
        return app.exit(error) == 0 ? 0 : exit_usage_error;
    }
    const auto given = [&](const char* option) {
        std::size_t count = 0;
        for (CLI::App* command : {&app, conv, denoise, anomaly})
            if (const CLI::Option* o = command->get_option_no_throw(option)) count += o->count();
        return count > 0;
    };
    const bool conv_model = *conv || (*denoise && s.model == "conv");
    if (conv_model && given("--bottleneck")) {
        std::fprintf(stderr, "ae_mnist: --bottleneck does not apply to the conv models: their code size is fixed by "
                             "their layers (the Keras blog's 4x4x8)\nRun with --help for more information.\n");
        return exit_usage_error;
    }
    s.batch_size_given = given("--batch-size");
    if (!s.batch_size_given && conv_model) s.batch_size = 128;
    if (!given("--loss") && conv_model) s.loss = "bce";
    // `ae_mnist --out DIR denoise` means DIR too.
    const auto out_for = [&](CLI::App* command, const std::string& own) {
        return command->count("--out") == 0 && app.count("--out") > 0 ? train_out : own;
    };
    return run_program("ae_mnist", [&] {
        if (s.threads > 0) set_num_threads(s.threads);
        if (*conv) s.out = out_for(conv, conv_out), run_conv(s);
        else if (*denoise) s.out = out_for(denoise, denoise_out), run_denoise(s);
        else if (*anomaly) s.out = out_for(anomaly, anomaly_out), run_anomaly(s);
        else if (*encode) s.out = out_for(encode, encode_out), run_encode(s);
        else s.out = train_out, run_train(s);
    });
}
