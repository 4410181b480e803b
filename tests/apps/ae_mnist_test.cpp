#include <algorithm>
#include <filesystem>

#include "tests/apps/run_app.hpp"
#include "tests/support.hpp"
#include "nn/io/code_file.hpp"
#include "nn/io/idx.hpp"
#include "nn/io/npy.hpp"
#include "nn/io/png.hpp"
#include "nn/io/safetensors.hpp"
#include "nn/nn.hpp"
#include "tests/nn/io_support.hpp"

using namespace smallnet;
using namespace smallnet::testing;

namespace {

// A tiny MNIST-format folder: 28x28 images whose class c is a bright 8x8 square at one of ten places,
// over faint noise. Train files gzip-compressed, test files raw (both spellings are found).
void write_tiny_mnist(const std::filesystem::path& folder, std::int64_t train, std::int64_t test) {
    std::filesystem::create_directories(folder);
    Generator generator(99);
    const auto write = [&](const std::string& split, std::int64_t count, bool gzip) {
        std::vector<std::uint8_t> images(static_cast<std::size_t>(count * 784)), labels(static_cast<std::size_t>(count));
        for (std::int64_t i = 0; i < count; ++i) {
            const int c = static_cast<int>(i % 10);
            labels[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(c);
            const int top = 2 + (c / 5) * 12, left = 1 + (c % 5) * 5;
            for (int y = 0; y < 28; ++y)
                for (int x = 0; x < 28; ++x) {
                    const bool on = y >= top && y < top + 8 && x >= left && x < left + 8;
                    images[static_cast<std::size_t>(i * 784 + y * 28 + x)] =
                        static_cast<std::uint8_t>(on ? 200 + generator.below(56) : generator.below(30));
                }
        }
        const std::string suffix = gzip ? ".gz" : "";
        write_idx(folder / (split + "-images-idx3-ubyte" + suffix), {count, 28, 28}, images, gzip);
        write_idx(folder / (split + "-labels-idx1-ubyte" + suffix), {count}, labels, gzip);
    };
    write("train", train, true);
    write("t10k", test, false);
}

// `ae_mnist <command> --limit 2048 --epochs 1` on 2048 tiny images at 1, 2 and 3 threads: the same
// seed must give the same weights to the bit.
void check_same_weights_at_1_2_3_threads(const std::string& command, const std::string& scratch_name) {
    const auto scratch = scratch_folder(scratch_name);
    const auto data = scratch / "data";
    write_tiny_mnist(data, 2048, 64);
    const auto app = app_path("AE_MNIST", "ae_mnist");
    std::vector<std::string> weights;
    for (const int threads : {1, 2, 3}) {
        CAPTURE(threads);
        const auto out = scratch / ("threads" + std::to_string(threads));
        const AppRun run = run_app(app, command + " --data " + quoted(data.string()) + " --limit 2048 --epochs 1 --seed 11 --threads " +
                                            std::to_string(threads) + " --out " + quoted(out.string()), scratch);
        INFO(run.err);
        REQUIRE(run.exit_code == 0);
        weights.push_back(read_text(out / "weights.safetensors"));
        CHECK(weights.back().size() > 1000);
    }
    CHECK(weights[0] == weights[1]);
    CHECK(weights[0] == weights[2]);
    std::filesystem::remove_all(scratch);
}

}  // namespace

TEST_SUITE("apps.ae_mnist") {

TEST_CASE("ae_mnist trains on a tiny MNIST folder and writes every file; encode reads the weights back") {
    const auto scratch = scratch_folder("ae_mnist");
    const auto data = scratch / "data", out = scratch / "out";
    write_tiny_mnist(data, 300, 100);
    const auto app = app_path("AE_MNIST", "ae_mnist");
    const std::string common = "--data " + quoted(data.string()) + " --epochs 2 --batch-size 32 --bottleneck 4 --seed 5";
    const AppRun run = run_app(app, common + " --out " + quoted(out.string()), scratch);
    INFO(run.out);
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(run.out.find("test reconstruction MSE: autoencoder") != std::string::npos);
    CHECK(run.out.find("PCA (4 components)") != std::string::npos);
    CHECK(run.out.find("codes.npy") != std::string::npos);

    const std::string history = read_text(out / "history.csv");
    CHECK(history.rfind("epoch,loss,val_loss,seconds\n", 0) == 0);
    CHECK(count_lines(history) == 3);
    const NamedTensors weights = load_safetensors(out / "weights.safetensors");
    CHECK(weights.size() == 8);
    CHECK(weights[0].first == "encoder.0.kernel");
    CHECK(weights[0].second.shape() == Shape{784, 128});
    CHECK(load_npy(out / "codes.npy").shape() == Shape{100, 4});
    const PngInfo grid = read_png_info(out / "reconstructions.png");
    CHECK(grid.width == (10 * (28 + 2) + 2) * 2);  // 10 images, scale 2, gap 2
    CHECK(grid.height == (2 * (28 + 2) + 2) * 2);  // originals above reconstructions
    CHECK(read_png_info(out / "loss.png").width == 800);

    const AppRun encode = run_app(app, "encode --data " + quoted(data.string()) + " --split train --weights " +
                                           quoted((out / "weights.safetensors").string()) + " --out " +
                                           quoted((scratch / "codes").string()), scratch);
    INFO(encode.err);
    REQUIRE(encode.exit_code == 0);
    CHECK(encode.out.find("codes.csv") != std::string::npos);
    CHECK(load_npy(scratch / "codes" / "codes.npy").shape() == Shape{300, 4});
    const std::string csv = read_text(scratch / "codes" / "codes.csv");
    CHECK(csv.rfind("label,code1,code2,code3,code4\n", 0) == 0);
    CHECK(count_lines(csv) == 301);
    std::filesystem::remove_all(scratch);
}

// What the --resume tests share: a tiny data set, the app, the flags of their runs, the checkpoint.
struct ResumeRuns {
    explicit ResumeRuns(const char* name)
        : scratch(scratch_folder(name)), data(scratch / "data"), app(app_path("AE_MNIST", "ae_mnist")),
          checkpoint(scratch / "checkpoint.safetensors"),
          common("--data " + quoted(data.string()) + " --batch-size 32 --bottleneck 4 --seed 5 ") {
        write_tiny_mnist(data, 300, 100);
    }
    // The app with the common flags and `flags`, writing to scratch/`out`.
    AppRun run(const std::string& flags, const std::string& out,
               const std::vector<std::pair<std::string, std::string>>& environment = {}) const {
        return run_app(app, common + flags + " --out " + quoted((scratch / out).string()), scratch, environment);
    }
    std::string weights(const std::string& out) const { return read_text(scratch / out / "weights.safetensors"); }

    std::filesystem::path scratch, data, app, checkpoint;
    std::string common;
};

TEST_CASE("ae_mnist --resume: 2 epochs with --checkpoint, resumed to 3, write bitwise what 3 epochs straight write") {
    const ResumeRuns runs("ae_mnist_resume");
    const AppRun first = runs.run("--epochs 2 --checkpoint " + quoted(runs.checkpoint.string()), "first");
    INFO(first.err);
    REQUIRE(first.exit_code == 0);
    // Without --seed and --batch-size: the file's.
    const AppRun resumed = run_app(runs.app, "--data " + quoted(runs.data.string()) + " --bottleneck 4 --epochs 3 --resume " +
                                                 quoted(runs.checkpoint.string()) + " --out " +
                                                 quoted((runs.scratch / "resumed").string()),
                                   runs.scratch);
    INFO(resumed.err);
    REQUIRE(resumed.exit_code == 0);
    CHECK(resumed.out.find("after epoch 2 (seed 5, batch size 32, fp32)") != std::string::npos);
    const AppRun straight = runs.run("--epochs 3", "straight");
    REQUIRE(straight.exit_code == 0);
    CHECK(runs.weights("resumed") == runs.weights("straight"));
    CHECK(without_last_column(read_text(runs.scratch / "resumed" / "history.csv")) ==
          without_last_column(read_text(runs.scratch / "straight" / "history.csv")));
    CHECK(load_model(runs.scratch / "resumed" / "model.safetensors").epochs_trained() == 3);

    // Nothing left to train, or other settings than the file's: refused before training.
    const AppRun done = run_app(runs.app, runs.common + "--epochs 2 --resume " + quoted(runs.checkpoint.string()),
                                runs.scratch);
    CHECK(done.exit_code == 2);
    CHECK(done.err.find("it has trained 2 epochs already; ask for more with --epochs") != std::string::npos);
    const AppRun other = run_app(runs.app, "conv --data " + quoted(runs.data.string()) + " --epochs 3 --resume " +
                                               quoted(runs.checkpoint.string()),
                                 runs.scratch);
    CHECK(other.exit_code == 2);
    CHECK(other.err.find("not the 'autoencoder' (4385 weights) that `conv` trains") != std::string::npos);
    std::filesystem::remove_all(runs.scratch);
}

TEST_CASE("ae_mnist --resume of a bf16 run goes on in bf16 unless --precision says otherwise") {
    if (bf16_instruction_set() == Bf16InstructionSet::none) return;  // bf16 runs are refused there (flag_checks)
    const ResumeRuns runs("ae_mnist_resume_bf16");
    const AppRun first = runs.run("--precision bf16 --epochs 2 --checkpoint " + quoted(runs.checkpoint.string()), "first");
    INFO(first.err);
    REQUIRE(first.exit_code == 0);
    const std::string resume = " --resume " + quoted(runs.checkpoint.string());
    const AppRun resumed = runs.run("--epochs 3" + resume, "resumed");
    INFO(resumed.err);
    REQUIRE(resumed.exit_code == 0);
    CHECK(resumed.out.find("after epoch 2 (seed 5, batch size 32, bf16)") != std::string::npos);
    CHECK(resumed.out.find("products: bf16 on " + std::string(instruction_set_name(bf16_instruction_set()))) !=
          std::string::npos);
    const AppRun straight = runs.run("--precision bf16 --epochs 3", "straight");
    REQUIRE(straight.exit_code == 0);
    CHECK(runs.weights("resumed") == runs.weights("straight"));

    const AppRun in_fp32 = runs.run("--precision fp32 --epochs 3" + resume, "in_fp32");
    REQUIRE(in_fp32.exit_code == 0);
    CHECK(in_fp32.out.find("after epoch 2 (seed 5, batch size 32, fp32)") != std::string::npos);
    CHECK(runs.weights("in_fp32") != runs.weights("straight"));

    // Where no bf16 kernel runs, the file's bf16 is refused before training, with the way out.
    const AppRun without = runs.run("--epochs 3" + resume, "without", {{"SMALLNET_SIMD", "avx2"}});
    CHECK(without.exit_code == 2);
    CHECK(without.err.find("it was trained in bf16, whose products need the AVX512_BF16 instruction set") !=
          std::string::npos);
    CHECK(without.err.find("--precision fp32") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(runs.scratch / "without" / "weights.safetensors"));
    std::filesystem::remove_all(runs.scratch);
}

TEST_CASE("ae_mnist denoise and anomaly write their pictures and report PSNR and ROC-AUC") {
    const auto scratch = scratch_folder("ae_mnist_uses");
    const auto data = scratch / "data";
    write_tiny_mnist(data, 300, 100);
    const auto app = app_path("AE_MNIST", "ae_mnist");
    const std::string common = " --data " + quoted(data.string()) + " --epochs 2 --batch-size 32 --bottleneck 4";

    const AppRun denoise = run_app(app, "denoise" + common + " --noise-stddev 0.2 --salt-pepper 0.05 --loss bce --out " +
                                            quoted((scratch / "denoise").string()), scratch);
    INFO(denoise.out);
    INFO(denoise.err);
    REQUIRE(denoise.exit_code == 0);
    CHECK(denoise.out.find("PSNR") != std::string::npos);
    const PngInfo grid = read_png_info(scratch / "denoise" / "denoised.png");
    CHECK(grid.height == (3 * (28 + 2) + 2) * 2);  // noisy, denoised, clean
    CHECK(count_lines(read_text(scratch / "denoise" / "history.csv")) == 3);

    const AppRun anomaly = run_app(app, "anomaly" + common + " --anomaly-class 3 --limit 250 --out " +
                                            quoted((scratch / "anomaly").string()), scratch);
    INFO(anomaly.out);
    INFO(anomaly.err);
    REQUIRE(anomaly.exit_code == 0);
    CHECK(anomaly.out.find("ROC-AUC") != std::string::npos);
    CHECK(anomaly.out.find("training on the 225 images not of class 3") != std::string::npos);
    const std::string scores = read_text(scratch / "anomaly" / "scores.csv");
    CHECK(scores.rfind("index,label,score,anomalous,flagged\n", 0) == 0);
    CHECK(count_lines(scores) == 101);
    CHECK(read_png_info(scratch / "anomaly" / "anomalies.png").height == (4 * (28 + 2) + 2) * 2);
    std::filesystem::remove_all(scratch);
}

TEST_CASE("ae_mnist conv trains the Keras blog's model and compares it with the dense autoencoder and PCA") {
    const auto scratch = scratch_folder("ae_mnist_conv");
    const auto data = scratch / "data", out = scratch / "conv";
    write_tiny_mnist(data, 300, 100);
    const auto app = app_path("AE_MNIST", "ae_mnist");
    const AppRun run = run_app(app, "conv --data " + quoted(data.string()) + " --epochs 2 --batch-size 32 --seed 3 --out " +
                                        quoted(out.string()), scratch);
    INFO(run.out);
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(run.out.find("(None, 4, 4, 8)") != std::string::npos);  // the summary
    CHECK(run.out.find("Total params: 4385") != std::string::npos);
    CHECK(run.out.find("every model coding an image in 128 numbers") != std::string::npos);
    CHECK(run.out.find("conv autoencoder (4x4x8 code)") != std::string::npos);
    CHECK(run.out.find("dense autoencoder") != std::string::npos);
    CHECK(run.out.find("PCA (128 components)") != std::string::npos);
    const NamedTensors weights = load_safetensors(out / "weights.safetensors");
    REQUIRE(weights.size() == 14);
    CHECK(weights[0].first == "encoder.0.kernel");
    CHECK(weights[0].second.shape() == Shape{3, 3, 1, 16});
    CHECK(load_npy(out / "codes.npy").shape() == Shape{100, 4, 4, 8});
    CHECK(count_lines(read_text(out / "history.csv")) == 3);
    CHECK(read_png_info(out / "reconstructions.png").height == (2 * (28 + 2) + 2) * 2);
    CHECK(read_png_info(out / "loss.png").width == 800);

    // encode rebuilds the conv model from the weight file; a code [4, 4, 8] is 128 columns of codes.csv.
    const AppRun encode = run_app(app, "encode --data " + quoted(data.string()) + " --weights " +
                                           quoted((out / "weights.safetensors").string()) + " --out " +
                                           quoted((scratch / "codes").string()), scratch);
    INFO(encode.err);
    REQUIRE(encode.exit_code == 0);
    CHECK(load_npy(scratch / "codes" / "codes.npy").shape() == Shape{100, 4, 4, 8});
    CHECK(read_text(scratch / "codes" / "codes.csv").find(",code128\n") != std::string::npos);

    const AppRun denoise = run_app(app, "denoise --model conv --data " + quoted(data.string()) +
                                            " --epochs 1 --batch-size 32 --out " + quoted((scratch / "denoise").string()),
                                   scratch);
    INFO(denoise.out);
    INFO(denoise.err);
    REQUIRE(denoise.exit_code == 0);
    CHECK(denoise.out.find("(None, 28, 28, 32)") != std::string::npos);  // the second Conv2DTranspose
    CHECK(denoise.out.find("PSNR") != std::string::npos);
    CHECK(load_safetensors(scratch / "denoise" / "weights.safetensors")[4].second.shape() == Shape{3, 3, 32, 32});
    CHECK(read_png_info(scratch / "denoise" / "denoised.png").height == (3 * (28 + 2) + 2) * 2);
    std::filesystem::remove_all(scratch);
}

TEST_CASE("ae_mnist conv: the same seed gives bitwise-identical weights at 1, 2 and 3 threads") {
    check_same_weights_at_1_2_3_threads("conv", "ae_mnist_conv_threads");
}

TEST_CASE("ae_mnist vae and sparse: their pictures, the loss's parts in history.csv, the comparison table") {
    const auto scratch = scratch_folder("ae_mnist_types");
    const auto data = scratch / "data";
    write_tiny_mnist(data, 300, 100);
    const auto app = app_path("AE_MNIST", "ae_mnist");
    const AppRun vae = run_app(app, "vae --data " + quoted(data.string()) + " --epochs 2 --batch-size 50 --latent 3 --out " +
                                        quoted((scratch / "vae").string()), scratch);
    INFO(vae.out);
    INFO(vae.err);
    REQUIRE(vae.exit_code == 0);
    CHECK(vae.out.find("test loss (784 x BCE + KL per image, one sample of z each): ") != std::string::npos);
    const std::string history = read_text(scratch / "vae" / "history.csv");
    CHECK(history.rfind("epoch,loss,reconstruction,kl,val_loss,val_reconstruction,val_kl,seconds\n", 0) == 0);
    CHECK(read_png_info(scratch / "vae" / "manifold.png").width == (15 * (28 + 0) + 0) * 2);
    CHECK(read_png_info(scratch / "vae" / "samples.png").height == (2 * (28 + 2) + 2) * 2);
    CHECK(read_png_info(scratch / "vae" / "latent.png").width == 800);
    const NamedTensors weights = load_safetensors(scratch / "vae" / "weights.safetensors");
    CHECK(weights[2].first == "encoder.1.z_mean.kernel");
    CHECK(weights[2].second.shape() == Shape{64, 3});

    const AppRun sparse = run_app(app, "sparse --data " + quoted(data.string()) + " --epochs 2 --batch-size 50 --l1 1e-3 --out " +
                                           quoted((scratch / "sparse").string()), scratch);
    INFO(sparse.out);
    INFO(sparse.err);
    REQUIRE(sparse.exit_code == 0);
    CHECK(sparse.out.find("code units below 1e-3 per image") != std::string::npos);
    CHECK(sparse.out.find("L1 0.001") != std::string::npos);
    CHECK(read_text(scratch / "sparse" / "history.csv").find("activity_regularization") != std::string::npos);
    CHECK(read_png_info(scratch / "sparse" / "codes.png").height == (2 * (4 + 1) + 1) * 12);  // 32 units as 4 x 8
    std::filesystem::remove_all(scratch);
}

TEST_CASE("ae_mnist classify: the table of three representations and two classifiers, classify.csv, confusion.png") {
    const auto scratch = scratch_folder("ae_mnist_classify");
    const auto data = scratch / "data";
    write_tiny_mnist(data, 400, 100);
    const auto app = app_path("AE_MNIST", "ae_mnist");
    const AppRun run = run_app(app, "classify --data " + quoted(data.string()) + " --epochs 2 --classifier-epochs 20 "
                                    "--batch-size 50 --bottleneck 8 --out " + quoted((scratch / "classify").string()), scratch);
    INFO(run.out);
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    for (const char* row : {"raw pixels", "autoencoder codes", "PCA codes", "softmax regression", "hidden layer (128 relu)"})
        CHECK(run.out.find(row) != std::string::npos);
    const std::string csv = read_text(scratch / "classify" / "classify.csv");
    CHECK(csv.rfind("representation,classifier,features,test_accuracy,training_seconds\nraw pixels,softmax regression,784,", 0) == 0);
    CHECK(std::count(csv.begin(), csv.end(), '\n') == 7);
    CHECK(csv.find("autoencoder codes,hidden layer (128 relu),8,") != std::string::npos);
    // The squares are easy to tell apart: raw pixels classify them all.
    CHECK(csv.find("raw pixels,softmax regression,784,1,") != std::string::npos);
    CHECK(read_png_info(scratch / "classify" / "confusion.png").width == 760);
    CHECK(run_app(app, "classify --classifier-epochs 0", scratch).exit_code == 2);
    const AppRun both = run_app(app, "classify --weights " + quoted((scratch / "classify" / "classify.csv").string()) +
                                         " --bottleneck 16", scratch);
    CHECK(both.exit_code == 2);
    CHECK(both.err.find("--bottleneck does not apply") != std::string::npos);
    std::filesystem::remove_all(scratch);
}

TEST_CASE("ae_mnist pretrain: three ways for each count of labels, mean and spread, pretrain.csv and pretrain.png") {
    const auto scratch = scratch_folder("ae_mnist_pretrain");
    const auto data = scratch / "data";
    write_tiny_mnist(data, 300, 100);
    const auto app = app_path("AE_MNIST", "ae_mnist");
    const AppRun run = run_app(app, "pretrain --data " + quoted(data.string()) + " --epochs 2 --batch-size 50 "
                                    "--labels-per-class 2,5 --seeds 2 --classifier-steps 150 --out " + quoted((scratch / "pretrain").string()), scratch);
    INFO(run.out);
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    for (const char* text : {"random weights", "pretrained, frozen", "pretrained, fine-tuned", "mean ± sd over 2 seeds"})
        CHECK(run.out.find(text) != std::string::npos);
    const std::string csv = read_text(scratch / "pretrain" / "pretrain.csv");
    CHECK(csv.rfind("way,labels_per_class,seed,test_accuracy\nrandom weights,2,1,", 0) == 0);
    CHECK(std::count(csv.begin(), csv.end(), '\n') == 1 + 2 * 2 * 3);
    CHECK(read_png_info(scratch / "pretrain" / "pretrain.png").width == 800);
    // 30 images per class: 31 labelled ones cannot be drawn, which is said before any training.
    const AppRun too_many = run_app(app, "pretrain --data " + quoted(data.string()) + " --labels-per-class 5,31 --out " +
                                             quoted((scratch / "too_many").string()), scratch);
    CHECK(too_many.exit_code == 2);
    CHECK(too_many.err.find("class 0 has only 30 training images") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(scratch / "too_many"));
    CHECK(run_app(app, "pretrain --labels-per-class 10,0", scratch).exit_code == 2);
    std::filesystem::remove_all(scratch);
}

TEST_CASE("ae_mnist compress and decompress: the file holds exactly the quantized codes; decompress decodes them") {
    const auto scratch = scratch_folder("ae_mnist_compress");
    const auto data = scratch / "data";
    write_tiny_mnist(data, 300, 40);
    const auto app = app_path("AE_MNIST", "ae_mnist");
    const std::string data_flag = " --data " + quoted(data.string());
    REQUIRE(run_app(app, data_flag + " --epochs 2 --batch-size 50 --out " + quoted((scratch / "model").string()), scratch).exit_code == 0);
    const auto weights = scratch / "model" / "weights.safetensors", input = data / "t10k-images-idx3-ubyte";
    const auto codes_file = scratch / "packed" / "test.codes";
    const AppRun compress = run_app(app, "compress" + data_flag + " --weights " + quoted(weights.string()) + " --input " +
                                             quoted(input.string()) + " --output " + quoted(codes_file.string()), scratch);
    INFO(compress.out);
    INFO(compress.err);
    REQUIRE(compress.exit_code == 0);
    CHECK(compress.out.find("ratio 24.5 against raw") != std::string::npos);
    CHECK(compress.out.find("PCA codes (32 components)") != std::string::npos);
    CHECK(read_png_info(scratch / "packed" / "compression.png").width > 0);

    // The codes in the file are the encoder's, quantized: computed here again from the same weights.
    Sequential encoder({Input(784), Dense(128, "relu"), Dense(32, "relu")}, "encoder");
    Sequential decoder({Dense(128, "relu"), Dense(784, "sigmoid")}, "decoder");
    Sequential autoencoder({encoder, decoder}, "autoencoder");
    autoencoder.build(784);
    autoencoder.load_weights(weights);
    const IdxArray images = read_idx(input);
    const Data x(ByteMatrix(images.bytes, 40, 784, 1.0f / 255));
    const QuantizedCodes expected = quantize_codes(encoder.predict(x), 8);
    const QuantizedCodes stored = read_code_file(codes_file);
    CHECK(stored.levels == expected.levels);
    CHECK(stored.offset == expected.offset);
    CHECK(stored.scale == expected.scale);

    // decompress writes the decoder's images of exactly those codes, as pixels.
    const auto restored = scratch / "restored" / "images-idx3-ubyte.gz";
    const AppRun decompress = run_app(app, "decompress --weights " + quoted(weights.string()) + " --input " +
                                               quoted(codes_file.string()) + " --output " + quoted(restored.string()), scratch);
    INFO(decompress.err);
    REQUIRE(decompress.exit_code == 0);
    const IdxArray back = read_idx(restored);
    CHECK(back.dims == std::vector<std::int64_t>{40, 28, 28});
    const ByteMatrix decoded = ByteMatrix::from_floats(decoder.predict(dequantize_codes(stored)), 1.0f / 255);
    CHECK(std::equal(back.bytes.begin(), back.bytes.end(), decoded.data()));

    // Another model's weights, a damaged file: refused, nothing written.
    REQUIRE(run_app(app, data_flag + " --epochs 1 --seed 5 --batch-size 50 --out " + quoted((scratch / "other").string()), scratch).exit_code == 0);
    const AppRun other = run_app(app, "decompress --weights " + quoted((scratch / "other" / "weights.safetensors").string()) +
                                          " --input " + quoted(codes_file.string()) + " --output " +
                                          quoted((scratch / "wrong.idx").string()), scratch);
    CHECK(other.exit_code == 1);
    CHECK(other.err.find("was compressed by a model with other weights") != std::string::npos);
    std::string bytes = read_text(codes_file);
    bytes[100] ^= 1;
    write_raw(scratch / "damaged.codes", bytes);
    const AppRun damaged = run_app(app, "decompress --weights " + quoted(weights.string()) + " --input " +
                                            quoted((scratch / "damaged.codes").string()) + " --output " +
                                            quoted((scratch / "wrong.idx").string()), scratch);
    CHECK(damaged.exit_code == 1);
    CHECK(damaged.err.find("checksum mismatch") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(scratch / "wrong.idx"));
    CHECK(run_app(app, "compress --weights " + quoted(weights.string()) + " --input " + quoted(input.string()) +
                           " --output out.codes --bits 17", scratch).exit_code == 2);
    std::filesystem::remove_all(scratch);
}

TEST_CASE("ae_mnist vae: the same seed gives bitwise-identical weights at 1, 2 and 3 threads") {
    check_same_weights_at_1_2_3_threads("vae", "ae_mnist_vae_threads");
}

TEST_CASE("ae_mnist: help, usage errors (exit 2) and run-time errors (exit 1)") {
    const auto scratch = scratch_folder("ae_mnist_cli");
    const auto app = app_path("AE_MNIST", "ae_mnist");
    for (const char* command : {"--help", "conv --help", "denoise --help", "anomaly --help", "vae --help", "sparse --help",
                                "classify --help", "pretrain --help",
                                "compress --help", "encode --help"}) {
        CAPTURE(command);
        const AppRun help = run_app(app, command, scratch);
        CHECK(help.exit_code == 0);
        CHECK(help.out.find("--data") != std::string::npos);
    }
    CHECK(run_app(app, "--bogus", scratch).exit_code == 2);
    CHECK(run_app(app, "--loss hinge", scratch).exit_code == 2);
    CHECK(run_app(app, "anomaly --anomaly-class 12", scratch).exit_code == 2);
    CHECK(run_app(app, "encode", scratch).exit_code == 2);  // --weights is required
    CHECK(run_app(app, "frobnicate", scratch).exit_code == 2);
    CHECK(run_app(app, "conv --epochs 0", scratch).exit_code == 2);
    CHECK(run_app(app, "conv --loss hinge", scratch).exit_code == 2);
    CHECK(run_app(app, "denoise --model resnet", scratch).exit_code == 2);
    const AppRun fixed_code = run_app(app, "--bottleneck 16 conv", scratch);
    CHECK(fixed_code.exit_code == 2);
    CHECK(fixed_code.err.find("--bottleneck does not apply to the conv models") != std::string::npos);
    CHECK(run_app(app, "denoise --model conv --bottleneck 16", scratch).exit_code == 2);

    const AppRun missing = run_app(app, "--data " + quoted((scratch / "nowhere").string()) + " --out " +
                                            quoted((scratch / "out").string()), scratch);
    CHECK(missing.exit_code == 1);
    CHECK(missing.err.rfind("ae_mnist: error: ", 0) == 0);
    CHECK(missing.err.find("nowhere") != std::string::npos);

    // A corrupt file: truncated images.
    const auto data = scratch / "corrupt";
    write_tiny_mnist(data, 30, 10);
    std::filesystem::resize_file(data / "t10k-images-idx3-ubyte", 1000);
    const AppRun corrupt = run_app(app, "--data " + quoted(data.string()) + " --out " + quoted((scratch / "out").string()), scratch);
    CHECK(corrupt.exit_code == 1);
    CHECK(corrupt.err.find("t10k-images") != std::string::npos);

    // Weights of another shape.
    std::ofstream(scratch / "not_weights.safetensors") << "garbage";
    const AppRun bad_weights = run_app(app, "encode --data " + quoted(data.string()) + " --weights " +
                                                quoted((scratch / "not_weights.safetensors").string()) + " --out " +
                                                quoted((scratch / "codes").string()), scratch);
    CHECK(bad_weights.exit_code == 1);
    CHECK(bad_weights.err.rfind("ae_mnist: error: ", 0) == 0);
    std::filesystem::remove_all(scratch);
}

}
