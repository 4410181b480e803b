#pragma once
// What the ae_mnist subcommands share: their settings (the command line), the models they train, the
// data loading and the training call. Each subcommand is in a file of its own (apps/ae_mnist/*.cpp),
// the command line in main.cpp.

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "nn/datasets/subset.hpp"
#include "nn/io/csv.hpp"
#include "nn/io/history_files.hpp"
#include "nn/io/mnist.hpp"
#include "nn/io/npy.hpp"
#include "nn/io/plot.hpp"
#include "nn/io/png.hpp"
#include "nn/io/safetensors.hpp"
#include "nn/metrics.hpp"
#include "nn/nn.hpp"
#include "nn/noise.hpp"
#include "nn/pca.hpp"
#include "nn/output_folder.hpp"
#include "nn/preprocessing.hpp"
#include "nn/program.hpp"
#include "tensor/precision.hpp"
#include "tensor/simd.hpp"

namespace smallnet::ae_mnist {

struct Settings {
    std::string data = "/usr/share/datasets/fashion-mnist";
    std::string out;  // per command: out/, out/conv, out/denoise, ...
    std::string command = "train";  // the subcommand that runs: what load() checks against the data depends on it
    std::uint64_t seed = 1;
    int epochs = 5;
    std::int64_t batch_size = 256;
    bool batch_size_given = false;  // the default shrinks to a smaller data set; a given size must fit
    std::int64_t bottleneck = 32;
    std::string loss = "mse";
    std::string precision = "fp32";  // of the Dense layers' products: fp32 or bf16 (tensor/precision.hpp)
    bool precision_given = false;    // --resume goes on in the file's precision unless told otherwise
    std::string model = "dense";    // denoise: dense or conv
    std::string checkpoint;  // the whole model, saved after every epoch when given
    std::string resume;      // a model file (model.safetensors, a checkpoint) whose training goes on
    bool seed_given = false;
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
    // vae
    std::int64_t latent = 2;
    std::int64_t hidden = 64;
    float beta = 1.0f;
    // sparse
    float l1 = 1e-4f;
    // classify
    int classifier_epochs = 10;
    // pretrain
    std::vector<std::int64_t> labels_per_class = {10, 100, 1000};
    int seeds = 3;
    std::int64_t classifier_steps = 2000;
    // compress, decompress
    std::string input, output;
    int bits = 8;
};

struct Autoencoder {
    Sequential encoder, decoder, model;
};

// An image as a conv model sees it: [height, width, 1].
Shape image_shape(const MnistSplit& split);

// Each model's weights come from `seed` (--seed): the encoder is built from it, and the decoder goes
// on with its stream (nn/sequential.hpp, "Seeds").
//
// The seed's model; `corruption` layers (noise, active only in training) go in front of the encoder.
Autoencoder make_autoencoder(std::int64_t pixels, std::int64_t bottleneck, std::int64_t hidden = 128,
                             std::vector<Layer> corruption = {}, std::uint64_t seed = 0);
// The Keras blog's convolutional autoencoder ("Building Autoencoders in Keras"): a 4x4x8 code for a
// 28x28 image, 128 numbers.
Autoencoder make_conv_autoencoder(const Shape& image, std::uint64_t seed = 0);
// keras.io's "Convolutional autoencoder for image denoising", with `corruption` in front.
Autoencoder make_conv_denoiser(const Shape& image, std::vector<Layer> corruption, std::uint64_t seed = 0);
// The Keras blog's variational autoencoder: pixels -> hidden relu -> Sampling(latent) -> hidden relu
// -> pixels sigmoid.
Autoencoder make_vae(std::int64_t pixels, std::int64_t hidden, std::int64_t latent, float beta, std::uint64_t seed = 0);
// The seed's model with an L1 activity regularizer on its code (the Keras blog's sparse autoencoder).
Autoencoder make_sparse_autoencoder(std::int64_t pixels, std::int64_t bottleneck, float l1, std::uint64_t seed = 0);

// Both splits of --data, cut to --limit images each; prints what was read. Then checks every value the
// command line alone could not (a --limit that leaves PCA or the anomaly scores too few images, a
// --bottleneck larger than an image for PCA) for s.command: a UsageError before any training.
MnistData load(const Settings& s);

struct TrainOptions {
    bool baseline = false;   // a model trained beside the main one: a line per epoch, no checkpoint
    CompileOptions compile;  // the loss's reduction
    // Where the weights and the history go when Ctrl-C stops the training (weights.safetensors,
    // history.csv); the run then ends with Interrupted.
    OutputFolder* out = nullptr;
};
// Adam, the --loss, --epochs, --batch-size and --seed, validated on `validation`, with the
// --checkpoint callback; prints the summary first (not for a baseline). With --resume, `ae` becomes the
// model of that file (which must have ae's layers) and training goes on from its last epoch up to
// --epochs, with its seed and batch size. A training stopped by Ctrl-C saves what it trained to
// options.out and throws Interrupted.
History train(Autoencoder& ae, const Settings& s, const Data& x, const Data& validation, const TrainOptions& options = {});

// The autoencoder a weight file of ae_mnist was saved from (dense or one of the conv models), unbuilt.
Autoencoder saved_autoencoder(const std::filesystem::path& weights, const MnistSplit& split);
Autoencoder saved_autoencoder(const std::filesystem::path& weights, std::int64_t rows, std::int64_t columns);

// Rows `indices` of x as a [count, pixels] tensor.
Tensor pick(const Tensor& x, const std::vector<std::int64_t>& indices);

void run_train(const Settings& s);
void run_conv(const Settings& s);
void run_denoise(const Settings& s);
void run_anomaly(const Settings& s);
void run_encode(const Settings& s);
void run_vae(const Settings& s);
void run_sparse(const Settings& s);
void run_classify(const Settings& s);
void run_pretrain(const Settings& s);
void run_compress(const Settings& s);
void run_decompress(const Settings& s);

}  // namespace smallnet::ae_mnist
