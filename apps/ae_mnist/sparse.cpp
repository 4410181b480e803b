// ae_mnist sparse: the seed's autoencoder with an L1 activity regularizer on its code (the Keras
// blog's sparse autoencoder), beside the plain one trained with the same seed: how many code units
// each leaves at zero, and what that costs in reconstruction.
#include "apps/ae_mnist/ae_mnist.hpp"

namespace smallnet::ae_mnist {

namespace {

struct CodeStatistics {
    double reconstruction_mse;
    double mean_activation;    // over every unit of every code
    double near_zero_fraction; // units below 1e-3 per image, averaged over the images
};

CodeStatistics code_statistics(Autoencoder& ae, const Tensor& images) {
    const Tensor codes = ae.encoder.predict(images);
    double total = 0.0;
    std::int64_t near_zero = 0;
    for (const float v : codes.values()) total += v, near_zero += v < 1e-3f;
    return {mse(ae.model.predict(images), images), total / static_cast<double>(codes.numel()),
            static_cast<double>(near_zero) / static_cast<double>(codes.numel())};
}

// A code of n units as an image as square as n allows (4 x 8 for 32).
std::pair<int, int> code_picture_size(std::int64_t n) {
    int rows = 1;
    for (int r = 1; static_cast<std::int64_t>(r) * r <= n; ++r)
        if (n % r == 0) rows = r;
    return {rows, static_cast<int>(n / rows)};
}

// The codes of `shown` images, each model's row scaled so that its largest unit is white.
void save_codes_picture(const std::filesystem::path& path, const std::vector<Autoencoder*>& models, const Tensor& images,
                        const std::vector<std::int64_t>& shown) {
    std::vector<Tensor> rows;
    for (Autoencoder* ae : models) {
        Tensor codes = pick(ae->encoder.predict(images), shown);
        float largest = 0.0f;
        for (const float v : codes.values()) largest = std::max(largest, v);
        if (largest > 0.0f)
            for (float& v : codes.values()) v /= largest;
        rows.push_back(codes);
    }
    const auto [height, width] = code_picture_size(rows.front().size(1));
    save_image_grid(path, rows, height, width, {.scale = 12, .gap = 1});
}

}  // namespace

void run_sparse(const Settings& s) {
    OutputFolder out(s.out, {"weights.safetensors", "history.csv", "loss.png", "codes.png"});
    const MnistData data = load(s);
    const std::int64_t pixels = data.train.images.columns();

    Autoencoder sparse = make_sparse_autoencoder(pixels, s.bottleneck, s.l1, s.seed);
    const History history = train(sparse, s, data.train.images, data.test.images, {.out = &out});
    sparse.model.save_weights(out.file("weights.safetensors"));
    save_history_csv(out.file("history.csv"), history);
    char l1_text[32];
    std::snprintf(l1_text, sizeof l1_text, "%g", static_cast<double>(s.l1));
    save_loss_plot(out.file("loss.png"), history, std::string("Sparse autoencoder (L1 ") + l1_text + " on the code)", s.loss);
    std::printf("\nbaseline: the same autoencoder without the regularizer, the same seed and training\n");
    Autoencoder plain = make_autoencoder(pixels, s.bottleneck, 128, {}, s.seed);
    train(plain, s, data.train.images, data.test.images, {.baseline = true});

    const Tensor test_x = data.test.images.to_tensor();
    const CodeStatistics plain_stats = code_statistics(plain, test_x), sparse_stats = code_statistics(sparse, test_x);
    const auto shown = one_per_class(data.test.labels, 10, std::min<std::int64_t>(10, test_x.size(0)));
    save_codes_picture(out.file("codes.png"), {&plain, &sparse}, test_x, shown);

    std::printf("\ntest set, codes of %lld units:          %12s %12s\n", static_cast<long long>(s.bottleneck), "plain",
                (std::string("L1 ") + l1_text).c_str());
    std::printf("  reconstruction MSE                   %12.5f %12.5f\n", plain_stats.reconstruction_mse,
                sparse_stats.reconstruction_mse);
    std::printf("  mean code activation                 %12.4f %12.4f\n", plain_stats.mean_activation,
                sparse_stats.mean_activation);
    std::printf("  code units below 1e-3 per image      %11.1f%% %11.1f%%\n", 100 * plain_stats.near_zero_fraction,
                100 * sparse_stats.near_zero_fraction);
    out.commit();
    print_written_files(stdout, out.path(), out.files());
}

}  // namespace smallnet::ae_mnist
