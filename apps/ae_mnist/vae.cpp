// ae_mnist vae: the Keras blog's variational autoencoder (784-64 relu, a 2-D Gaussian code, 2-64-784
// sigmoid), trained on 784 · BCE + KL per image; the latent space and what it generates.
#include "apps/ae_mnist/ae_mnist.hpp"

namespace smallnet::ae_mnist {

namespace {

// Codes on an n x n grid over the latent plane at evenly spaced quantiles of N(0, 1), from 5% to 95%
// as Keras' example spaces them (z[0] left to right, z[1] bottom to top); other dimensions 0.
Tensor manifold_codes(int n, std::int64_t latent) {
    Tensor codes = zeros(Shape{n * n, latent});
    for (int row = 0; row < n; ++row)
        for (int column = 0; column < n; ++column) {
            const auto quantile = [&](int k) { return standard_normal_quantile(0.05 + 0.9 * k / (n - 1)); };
            float* code = codes.data() + (row * n + column) * latent;
            code[0] = static_cast<float>(quantile(column));
            code[1] = static_cast<float>(quantile(n - 1 - row));
        }
    return codes;
}

}  // namespace

void run_vae(const Settings& s) {
    OutputFolder out(s.out, {"weights.safetensors", "history.csv", "loss.png", "latent.png", "manifold.png", "samples.png"});
    const MnistData data = load(s);
    const std::int64_t pixels = data.train.images.columns();
    const int height = static_cast<int>(data.train.rows), width = static_cast<int>(data.train.columns);

    Autoencoder vae = make_vae(pixels, s.hidden, s.latent, s.beta, s.seed);
    // Keras' VAE loss: each image's BCE summed over its pixels, plus its KL divergence, averaged.
    const History history = train(vae, s, data.train.images, data.test.images,
                                  {.compile = {.reduction = Reduction::sum_over_features}, .out = &out});
    vae.model.save_weights(out.file("weights.safetensors"));
    save_history_csv(out.file("history.csv"), history);
    save_loss_plot(out.file("loss.png"), history, "Variational autoencoder: " + std::to_string(pixels) + " x BCE + KL per image", "total");

    const Tensor means = vae.encoder.predict(data.test.images);
    save_class_scatter(out.file("latent.png"), means, data.test.labels, mnist_class_names(s.data),
                       {.title = s.latent == 2 ? "Test images in the latent space (z_mean)"
                                               : "Test images in the latent space: the first 2 of " +
                                                     std::to_string(s.latent) + " dimensions of z_mean",
                        .x_label = "z[0]", .y_label = "z[1]"});
    const int n = 15;
    const Tensor manifold = vae.decoder.predict(manifold_codes(n, s.latent));
    std::vector<Tensor> grid_rows;
    for (int row = 0; row < n; ++row) grid_rows.push_back(manifold.rows(row * n, (row + 1) * n));
    save_image_grid(out.file("manifold.png"), grid_rows, height, width, {.gap = 0});
    Generator prior(s.seed + 2);
    const Tensor samples = vae.decoder.predict(normal(Shape{20, s.latent}, 0.0f, 1.0f, prior));
    save_image_grid(out.file("samples.png"), {samples.rows(0, 10), samples.rows(10, 20)}, height, width);

    const EpochLogs& last = history.epochs.back();
    std::printf("\ntest loss (%lld x BCE + KL per image, one sample of z each): %.3f = reconstruction %.3f + kl %.3f\n",
                static_cast<long long>(pixels), *last.val_loss, *find_value(last.values, "val_reconstruction"),
                *find_value(last.values, "val_kl"));
    out.commit();
    print_written_files(stdout, out.path(), out.files());
}

}  // namespace smallnet::ae_mnist
