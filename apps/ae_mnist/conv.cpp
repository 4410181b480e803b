// ae_mnist conv: the Keras blog's convolutional autoencoder, beside the dense autoencoder and PCA at
// its code size.
#include "apps/ae_mnist/ae_mnist.hpp"

namespace smallnet::ae_mnist {

void run_conv(const Settings& s) {
    OutputFolder out(s.out, {"weights.safetensors", "model.safetensors", "history.csv", "loss.png", "reconstructions.png", "codes.npy"});
    const MnistData data = load(s);
    const std::int64_t pixels = data.train.images.columns();
    const Shape image = image_shape(data.train);
    // Keras' x.reshape(-1, 28, 28, 1): the same bytes seen as images.
    const Data train_images = Data(data.train.images).reshape_samples(image);
    const Data test_images = Data(data.test.images).reshape_samples(image);

    Autoencoder ae = make_conv_autoencoder(image, s.seed);
    const History history = train(ae, s, train_images, test_images, {.out = &out});
    ae.model.save_weights(out.file("weights.safetensors"));
    ae.model.save(out.file("model.safetensors"));  // whole: --resume continues it
    save_history_csv(out.file("history.csv"), history);
    save_loss_plot(out.file("loss.png"), history, "Convolutional autoencoder (Keras blog)", s.loss);

    // Each model's test reconstructions are scored as soon as they are made and then dropped, so that
    // at most one set of them is held beside the test images.
    struct Score {
        std::string model;
        double bce, mse;
    };
    std::vector<Score> scores;
    const Tensor test_x = data.test.images.to_tensor();  // [images, pixels]
    const auto score = [&](const std::string& model, const Tensor& prediction) {
        scores.push_back({model, mean_loss(Loss::binary_crossentropy, prediction, test_x), mse(prediction, test_x)});
    };
    std::string code_shape;
    for (const std::int64_t d : ae.encoder.output_shape()) code_shape += (code_shape.empty() ? "" : "x") + std::to_string(d);
    {
        const Tensor reconstructed = ae.model.predict(test_images).reshape({-1, pixels});
        score("conv autoencoder (" + code_shape + " code)", reconstructed);
        const auto shown = one_per_class(data.test.labels, 10, std::min<std::int64_t>(10, test_x.size(0)));
        save_image_grid(out.file("reconstructions.png"), {pick(test_x, shown), pick(reconstructed, shown)},
                        static_cast<int>(data.test.rows), static_cast<int>(data.test.columns));
    }
    save_npy(out.file("codes.npy"), ae.encoder.predict(test_images));

    // The baselines at the same code size: the dense autoencoder and PCA.
    const std::int64_t code_size = ae.encoder.output_size();
    std::printf("\nbaseline: the dense autoencoder %lld-128-%lld-128-%lld, the same loss and training\n",
                static_cast<long long>(pixels), static_cast<long long>(code_size), static_cast<long long>(pixels));
    Autoencoder dense = make_autoencoder(pixels, code_size, 128, {}, s.seed);
    train(dense, s, data.train.images, data.test.images, {.baseline = true});
    score("dense autoencoder", dense.model.predict(test_x));
    const Pca pca = fit_pca(data.train.images, static_cast<int>(code_size), {.seed = s.seed});
    score("PCA (" + std::to_string(code_size) + " components)", pca.inverse_transform(pca.transform(test_x)));

    std::printf("\ntest reconstruction, every model coding an image in %lld numbers:\n", static_cast<long long>(code_size));
    std::printf("  %-42s %9s %9s\n", "", "BCE", "MSE");
    for (const Score& s : scores) std::printf("  %-42s %9.5f %9.5f\n", s.model.c_str(), s.bce, s.mse);
    out.commit();
    print_written_files(stdout, out.path(), out.files());
}

}  // namespace smallnet::ae_mnist
