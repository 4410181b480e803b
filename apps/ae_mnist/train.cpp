// ae_mnist: the seed's autoencoder, its pictures and codes, beside PCA of the same size.
#include "apps/ae_mnist/ae_mnist.hpp"

namespace smallnet::ae_mnist {

void run_train(const Settings& s) {
    OutputFolder out(s.out, {"weights.safetensors", "model.safetensors", "history.csv", "loss.png", "reconstructions.png", "codes.npy"});
    const MnistData data = load(s);
    const MnistSplit &train_set = data.train, &test_set = data.test;
    const std::int64_t pixels = train_set.images.columns();

    Autoencoder ae = make_autoencoder(pixels, s.bottleneck, 128, {}, s.seed);
    const History history = train(ae, s, train_set.images, test_set.images, {.out = &out});
    ae.model.save_weights(out.file("weights.safetensors"));
    ae.model.save(out.file("model.safetensors"));  // whole: --resume continues it
    save_history_csv(out.file("history.csv"), history);
    save_loss_plot(out.file("loss.png"), history, "Autoencoder " + std::to_string(pixels) + "-128-" +
                                                  std::to_string(s.bottleneck) + "-128-" + std::to_string(pixels),
                   s.loss);

    const Tensor test_x = test_set.images.to_tensor();
    const Tensor reconstructed = ae.model.predict(test_x);
    save_npy(out.file("codes.npy"), ae.encoder.predict(test_x));
    const auto shown = one_per_class(test_set.labels, 10, std::min<std::int64_t>(10, test_x.size(0)));
    save_image_grid(out.file("reconstructions.png"), {pick(test_x, shown), pick(reconstructed, shown)},
                    static_cast<int>(test_set.rows), static_cast<int>(test_set.columns));

    const Pca pca = fit_pca(train_set.images, static_cast<int>(s.bottleneck), {.seed = s.seed});
    if (!pca.converged)
        std::fprintf(stderr, "ae_mnist: warning: PCA did not converge (residual %.2e after %d iterations)\n",
                     pca.residual, pca.iterations);
    std::printf("\ntest reconstruction MSE: autoencoder %.5f, PCA (%lld components) %.5f\n", mse(reconstructed, test_x),
                static_cast<long long>(s.bottleneck), pca.reconstruction_mse(test_x));
    std::printf("PCA: %.1f%% of the variance%s; %d block power iterations, residual %.1e\n",
                100 * pca.explained_variance_fraction(),
                pca.total_variance == 0 ? " (the training images do not vary: their mean reconstructs them exactly)" : "",
                pca.iterations, pca.residual);
    out.commit();
    print_written_files(stdout, out.path(), out.files());
}

}  // namespace smallnet::ae_mnist
