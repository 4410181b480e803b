// ae_mnist denoise: trained on noisy images against clean ones (dense, or keras.io's conv denoiser);
// PSNR of noisy and denoised test images.
#include "apps/ae_mnist/ae_mnist.hpp"

namespace smallnet::ae_mnist {

void run_denoise(const Settings& s) {
    OutputFolder out(s.out, {"weights.safetensors", "history.csv", "loss.png", "denoised.png"});
    const MnistData data = load(s);
    const std::int64_t pixels = data.train.images.columns();
    const Shape image = image_shape(data.train);
    const bool conv = s.model == "conv";

    std::vector<Layer> corruption = {GaussianNoise(s.noise_stddev), SaltAndPepper(s.salt_and_pepper)};
    Autoencoder ae = conv ? make_conv_denoiser(image, corruption, s.seed)
                            : make_autoencoder(pixels, s.bottleneck, 128, corruption, s.seed);
    const Data train_x = conv ? Data(data.train.images).reshape_samples(image) : Data(data.train.images);
    const Data test_x = conv ? Data(data.test.images).reshape_samples(image) : Data(data.test.images);
    const History history = train(ae, s, train_x, test_x, {.out = &out});
    ae.model.save_weights(out.file("weights.safetensors"));
    save_history_csv(out.file("history.csv"), history);
    save_loss_plot(out.file("loss.png"), history,
                   std::string(conv ? "Convolutional denoiser" : "Denoising autoencoder") + " (val: clean input)", s.loss);

    // The same kinds of noise on the test images, from a generator of their own.
    const Tensor clean = data.test.images.to_tensor();
    Generator generator(s.seed + 1);
    const Tensor noisy = add_noise(clean, {.gaussian_stddev = s.noise_stddev, .salt_and_pepper = s.salt_and_pepper}, generator);
    const Tensor denoised =
        conv ? ae.model.predict(noisy.reshape({-1, image[0], image[1], 1})).reshape({-1, pixels}) : ae.model.predict(noisy);
    const auto shown = one_per_class(data.test.labels, 10, std::min<std::int64_t>(10, clean.size(0)));
    save_image_grid(out.file("denoised.png"), {pick(noisy, shown), pick(denoised, shown), pick(clean, shown)},
                    static_cast<int>(data.test.rows), static_cast<int>(data.test.columns));
    std::printf("\ntest PSNR against the clean images (mean over images): noisy %.2f dB, denoised %.2f dB\n",
                mean_row_psnr(noisy, clean), mean_row_psnr(denoised, clean));
    out.commit();
    print_written_files(stdout, out.path(), out.files());
}

}  // namespace smallnet::ae_mnist
