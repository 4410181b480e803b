// ae_mnist: the TensorFlow Keras notes' MNIST autoencoder, 784 -> 128 -> 32 -> 128 -> 784
// (relu, sigmoid output), Adam, MSE, 5 epochs of batch 256, validated on the test set, with PCA of
// the same size as the linear baseline; the notes' other uses: `denoise` (noisy input, clean
// target), `anomaly` (train on the normal classes, score by reconstruction error) and `encode` (the
// trained encoder's codes of a data set); and the "types of autoencoders": `conv` (the Keras blog's
// convolutional autoencoder), `vae` (its variational one) and `sparse` (an L1 penalty on the code);
// `classify` (the codes as features for a classifier, beside raw pixels and PCA) and `pretrain` (the
// encoder pretrained without labels, for a classifier that has few); `compress` and `decompress`
// (images as quantized codes).
//
// This file reads the command line; each subcommand is in apps/ae_mnist/<name>.cpp.

#include <CLI/CLI.hpp>

#include "apps/ae_mnist/ae_mnist.hpp"
#include "apps/number_options.hpp"

using namespace smallnet;
using namespace smallnet::ae_mnist;

namespace {

void add_data_options(CLI::App& app, Settings& s) {
    app.add_option("--data", s.data, "MNIST-format folder (train-images-idx3-ubyte[.gz], ...)")->capture_default_str();
    app.add_option("--seed", s.seed, "seed of the weights, the shuffling and the noise")
        ->transform(whole_number(0, UINT64_MAX))->capture_default_str();
    app.add_option("--threads", s.threads, "worker threads (0: one per core)")->transform(whole_number(0, 1024))->capture_default_str();
    app.add_option("--limit", s.limit, "use only the first N images of each split (0: all)")->transform(whole_number(0, std::uint64_t{1} << 40));
}

// The subcommands' models differ in what may be chosen: the conv models and the VAE have a code fixed
// by their layers (no --bottleneck) and train in batches of 128 as their Keras originals; the conv
// models default to bce; the VAE's loss is fixed (784 · BCE + KL per image).
enum class ModelKind { dense, conv, vae };

void add_training_options(CLI::App& app, Settings& s, ModelKind kind = ModelKind::dense) {
    add_data_options(app, s);
    app.add_option("--epochs", s.epochs, "training epochs")->transform(whole_number(1, 100'000))->capture_default_str();
    app.add_option("--batch-size", s.batch_size,
                   kind == ModelKind::dense ? "images per step (default 256)" : "images per step (default 128)")
        ->transform(whole_number(1, 1'000'000));
    if (kind == ModelKind::dense)
        app.add_option("--bottleneck", s.bottleneck, "size of the code (and PCA's number of components, at most an image's pixels)")->transform(whole_number(1, 4096))->capture_default_str();
    if (kind != ModelKind::vae)
        app.add_option("--loss", s.loss, kind == ModelKind::conv ? "reconstruction loss (default bce)" : "reconstruction loss (default mse)")
            ->check(CLI::IsMember({"mse", "bce"}));
    app.add_option("--precision", s.precision,
                   "the dense layers' products: fp32, or bf16 (operands rounded to bf16, sums, weights and optimizer in "
                   "fp32; needs AVX512_BF16; not for the conv models, whose convolutions run in fp32)")
        ->check(CLI::IsMember({"fp32", "bf16"}))->capture_default_str();
    app.add_option("--checkpoint", s.checkpoint,
                   "save the whole model to this file after every epoch (atomically, as Keras' ModelCheckpoint); "
                   "--resume continues from it");
    app.add_option("--resume", s.resume,
                   "continue the training saved in this model file (a --checkpoint, or model.safetensors of a run) up "
                   "to --epochs epochs in all, with its optimizer state, seed, batch size and (unless --precision is "
                   "given) precision")
        ->check(CLI::ExistingFile);
}

}  // namespace

int main(int argc, char** argv) {
    Settings s;
    CLI::App app{"ae_mnist: the Keras MNIST autoencoder (784-128-32-128-784) with a PCA baseline, and its uses.\n"
                 "Without a subcommand: train, then write weights, history, pictures and test codes."};
    app.require_subcommand(0, 1);
    std::string train_out = "out", conv_out = "out/conv", denoise_out = "out/denoise", anomaly_out = "out/anomaly",
                encode_out = "out/encode", vae_out = "out/vae", sparse_out = "out/sparse", classify_out = "out/classify",
                pretrain_out = "out/pretrain";
    add_training_options(app, s);
    app.add_option("--out", train_out, "output folder")->capture_default_str();

    CLI::App* conv = app.add_subcommand("conv", "the Keras blog's convolutional autoencoder (4x4x8 code), beside the dense one and PCA");
    add_training_options(*conv, s, ModelKind::conv);
    conv->add_option("--out", conv_out, "output folder")->capture_default_str();

    CLI::App* denoise = app.add_subcommand("denoise", "train to remove noise (Gaussian, salt and pepper) and measure PSNR");
    add_training_options(*denoise, s);
    denoise->add_option("--out", denoise_out, "output folder")->capture_default_str();
    denoise->add_option("--model", s.model, "dense: the seed's autoencoder; conv: keras.io's convolutional denoiser")
        ->check(CLI::IsMember({"dense", "conv"}))->capture_default_str();
    denoise->add_option("--noise-stddev", s.noise_stddev, "standard deviation of the Gaussian noise (0: none)")->check(real_range(0, 10))->capture_default_str();
    denoise->add_option("--salt-pepper", s.salt_and_pepper, "fraction of pixels set to 0 or 1 (0: none; below 1, which would leave no pixel of the image)")
        ->check(real_range(0, 1, true))->capture_default_str();

    CLI::App* anomaly = app.add_subcommand("anomaly", "train on all classes but one; detect that class by reconstruction error");
    add_training_options(*anomaly, s);
    anomaly->add_option("--out", anomaly_out, "output folder")->capture_default_str();
    anomaly->add_option("--anomaly-class", s.anomaly_class, "the held-out (anomalous) class")->transform(whole_number(0, 9))->capture_default_str();
    anomaly->add_option("--fpr", s.fpr, "false-positive rate the threshold is chosen for")->check(real_range(0, 1))->capture_default_str();

    CLI::App* vae = app.add_subcommand("vae", "the Keras blog's variational autoencoder: latent space, manifold and samples");
    add_training_options(*vae, s, ModelKind::vae);
    vae->add_option("--out", vae_out, "output folder")->capture_default_str();
    vae->add_option("--latent", s.latent, "dimensions of the latent code")->transform(whole_number(2, 1024))->capture_default_str();
    vae->add_option("--hidden", s.hidden, "units of the encoder's and the decoder's hidden layer")->transform(whole_number(1, 65536))->capture_default_str();
    vae->add_option("--beta", s.beta, "weight of the KL term (1: the plain VAE)")->check(real_range(0, 1000))->capture_default_str();

    CLI::App* sparse = app.add_subcommand("sparse", "the seed's model with an L1 penalty on its code, beside the plain one");
    add_training_options(*sparse, s);
    sparse->add_option("--out", sparse_out, "output folder")->capture_default_str();
    sparse->add_option("--l1", s.l1, "L1 factor of the code's activity regularizer")->check(real_range(0, 100))->capture_default_str();

    CLI::App* classify = app.add_subcommand(
        "classify", "classifiers on raw pixels, on the autoencoder's codes and on PCA's: test accuracy and time");
    add_training_options(*classify, s);
    classify->add_option("--out", classify_out, "output folder")->capture_default_str();
    classify->add_option("--weights", s.weights, "use this trained autoencoder (weights.safetensors of ae_mnist) instead of training one")
        ->check(CLI::ExistingFile);
    classify->add_option("--classifier-epochs", s.classifier_epochs, "epochs of each classifier")
        ->transform(whole_number(1, 100'000))->capture_default_str();

    CLI::App* pretrain = app.add_subcommand(
        "pretrain", "a classifier from few labels: the encoder pretrained without labels (frozen, fine-tuned) or not");
    add_training_options(*pretrain, s);
    pretrain->add_option("--out", pretrain_out, "output folder")->capture_default_str();
    pretrain->add_option("--labels-per-class", s.labels_per_class, "labelled training images per class, comma-separated")
        ->delimiter(',')->transform(whole_number(1, 1'000'000))->capture_default_str();
    pretrain->add_option("--seeds", s.seeds, "runs (labelled subsets and initial weights) per count")
        ->transform(whole_number(1, 1000))->capture_default_str();
    pretrain->add_option("--classifier-steps", s.classifier_steps, "training steps of 32 images for every classifier")
        ->transform(whole_number(1, 10'000'000))->capture_default_str();

    CLI::App* compress = app.add_subcommand(
        "compress", "compress an IDX file of images into the quantized codes of a trained autoencoder; compare with PCA");
    add_data_options(*compress, s);
    compress->add_option("--weights", s.weights, "weights.safetensors written by ae_mnist")->required()->check(CLI::ExistingFile);
    compress->add_option("--input", s.input, "IDX file of images [count, rows, columns], raw or .gz")->required()->check(CLI::ExistingFile);
    compress->add_option("--output", s.output, "the compressed file to write")->required();
    compress->add_option("--bits", s.bits, "bits per code number")->transform(whole_number(1, 16))->capture_default_str();

    CLI::App* decompress = app.add_subcommand("decompress", "turn a file of compress back into an IDX file of images");
    decompress->add_option("--threads", s.threads, "worker threads (0: one per core)")->transform(whole_number(0, 1024))->capture_default_str();
    decompress->add_option("--weights", s.weights, "the weights the file was compressed with")->required()->check(CLI::ExistingFile);
    decompress->add_option("--input", s.input, "a file written by compress")->required()->check(CLI::ExistingFile);
    decompress->add_option("--output", s.output, "the IDX file to write (gzip-compressed when it ends in .gz)")->required();

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
        std::fprintf(stderr, "ae_mnist: unknown subcommand '%s'; the subcommands are conv, denoise, anomaly, vae, sparse, "
                             "classify, pretrain, compress, decompress and encode "
                             "(none: train)\nRun with --help for more information.\n", extras.front().c_str());
        return exit_usage_error;
    } catch (const CLI::ParseError& error) {
        return app.exit(error) == 0 ? 0 : exit_usage_error;
    }
    const auto given = [&](const char* option) {
        std::size_t count = 0;
        for (CLI::App* command : {&app, conv, denoise, anomaly, vae, sparse, classify, pretrain, compress})
            if (const CLI::Option* o = command->get_option_no_throw(option)) count += o->count();
        return count > 0;
    };
    const bool conv_model = *conv || (*denoise && s.model == "conv");
    if (*classify && !s.weights.empty() && given("--bottleneck")) {
        std::fprintf(stderr, "ae_mnist: classify --weights takes the code size from the weights; --bottleneck does not "
                             "apply\nRun with --help for more information.\n");
        return exit_usage_error;
    }
    if (conv_model && given("--precision") && s.precision != "fp32") {
        std::fprintf(stderr, "ae_mnist: --precision %s does not apply to the conv models: their products are "
                             "convolutions, which run in fp32 only (bf16 is for the dense layers)\nRun with --help for "
                             "more information.\n", s.precision.c_str());
        return exit_usage_error;
    }
    if (conv_model && given("--bottleneck")) {
        std::fprintf(stderr, "ae_mnist: --bottleneck does not apply to the conv models: their code size is fixed by "
                             "their layers (the Keras blog's 4x4x8)\nRun with --help for more information.\n");
        return exit_usage_error;
    }
    if (*vae && (given("--bottleneck") || given("--loss"))) {
        std::fprintf(stderr, "ae_mnist: vae takes --latent for its code and has a fixed loss (784 x BCE + KL per "
                             "image); --bottleneck and --loss do not apply\nRun with --help for more information.\n");
        return exit_usage_error;
    }
    // compress reads its training images itself (after its input); a --limit that leaves PCA, its
    // baseline, fewer than the 2 images a covariance needs would fail after the work.
    if (*compress && s.limit == 1) {
        std::fprintf(stderr, "ae_mnist: --limit 1: compress fits PCA, its baseline, on the training images, which needs at "
                             "least 2; use --limit 2 or more (0: all)\nRun with --help for more information.\n");
        return exit_usage_error;
    }
    // What load() checks against the data depends on what the run does with it.
    for (const CLI::App* command : app.get_subcommands()) s.command = command->get_name();
    s.batch_size_given = given("--batch-size");
    s.seed_given = given("--seed");
    s.precision_given = given("--precision");
    if (!s.batch_size_given && (conv_model || *vae)) s.batch_size = 128;
    if (!given("--loss") && (conv_model || *vae)) s.loss = "bce";
    // `ae_mnist --out DIR denoise` means DIR too.
    const auto out_for = [&](CLI::App* command, const std::string& own) {
        return command->count("--out") == 0 && app.count("--out") > 0 ? train_out : own;
    };
    return run_program("ae_mnist", [&] {
        // Before any work: a CPU without bf16 kernels would otherwise fail at the first product.
        if (parse_precision(s.precision) == Precision::bf16 && bf16_instruction_set() == Bf16InstructionSet::none)
            throw std::runtime_error("--precision bf16 needs the AVX512_BF16 instruction set (with avx512 active: the "
                                     "active set is " + std::string(instruction_set_name(active_instruction_set())) +
                                     "), which this CPU lacks or SMALLNET_SIMD turned off");
        if (s.threads > 0) set_num_threads(s.threads);
        if (*conv) s.out = out_for(conv, conv_out), run_conv(s);
        else if (*denoise) s.out = out_for(denoise, denoise_out), run_denoise(s);
        else if (*anomaly) s.out = out_for(anomaly, anomaly_out), run_anomaly(s);
        else if (*encode) s.out = out_for(encode, encode_out), run_encode(s);
        else if (*vae) s.out = out_for(vae, vae_out), run_vae(s);
        else if (*sparse) s.out = out_for(sparse, sparse_out), run_sparse(s);
        else if (*classify) s.out = out_for(classify, classify_out), run_classify(s);
        else if (*pretrain) s.out = out_for(pretrain, pretrain_out), run_pretrain(s);
        else if (*compress) run_compress(s);
        else if (*decompress) run_decompress(s);
        else s.out = train_out, run_train(s);
    });
}
