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

    // The test images stay bytes, and their reconstructions go by in batches: what the run keeps of
    // them is their error and the ten pictured (all of them in floats, with the images, were 63 MB).
    const auto shown = one_per_class(test_set.labels, 10, std::min<std::int64_t>(10, test_set.images.rows()));
    Tensor shown_reconstructions(Shape{static_cast<std::int64_t>(shown.size()), pixels});
    MeanSquaredError autoencoder_error;
    ae.model.predict_batches(test_set.images, [&](const Sequential::PredictedBatch& batch) {
        autoencoder_error.update(batch.outputs, batch.inputs);
        batch.copy_outputs(shown, shown_reconstructions);
    });
    save_npy(out.file("codes.npy"), ae.encoder.predict(test_set.images));

    const Pca pca = fit_pca(train_set.images, static_cast<int>(s.bottleneck), {.seed = s.seed});
    if (!pca.converged)
        std::fprintf(stderr, "ae_mnist: warning: PCA did not converge (residual %.2e after %d iterations)\n",
                     pca.residual, pca.iterations);
    const double pca_error = pca.reconstruction_mse(test_set.images);

    // The pictures come last: what drawing brings in (plplot's and cairo's code, the fonts: 11 MB)
    // then adds to the little that is left, not to PCA's batches.
    save_loss_plot(out.file("loss.png"), history, "Autoencoder " + std::to_string(pixels) + "-128-" +
                                                  std::to_string(s.bottleneck) + "-128-" + std::to_string(pixels),
                   s.loss);
    save_image_grid(out.file("reconstructions.png"), {take_rows(test_set.images, shown).to_tensor(), shown_reconstructions},
                    static_cast<int>(test_set.rows), static_cast<int>(test_set.columns));
    std::printf("\ntest reconstruction MSE: autoencoder %.5f, PCA (%lld components) %.5f\n", autoencoder_error.result(),
                static_cast<long long>(s.bottleneck), pca_error);
    std::printf("PCA: %.1f%% of the variance%s; %d block power iterations, residual %.1e\n",
                100 * pca.explained_variance_fraction(),
                pca.total_variance == 0 ? " (the training images do not vary: their mean reconstructs them exactly)" : "",
                pca.iterations, pca.residual);
    out.commit();
    print_written_files(stdout, out.path(), out.files());
}

}  // namespace smallnet::ae_mnist
