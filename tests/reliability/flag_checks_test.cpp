// Every command-line value of ae_mnist and ae2d is checked before any training: numbers are decimal,
// and a value that is not a number, negative, too large for its type or out of its range says which;
// a value that only the data or the other flags make wrong (a code larger than an image for PCA, a
// --limit that leaves too few images) is refused right after the data is read. One table row each:
// exit code 2, a fragment of the message, and no epoch trained.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tensor/simd.hpp"
#include "tests/apps/run_app.hpp"
#include "tests/reliability/bad_input_support.hpp"
#include "tests/reliability/tiny_mnist.hpp"

using namespace smallnet::testing;

namespace {

struct FlagRow {
    std::string name;
    std::string program;    // "ae_mnist" or "ae2d"
    std::string arguments;  // "{data}" is a tiny MNIST folder (60 training, 20 test images of 28x28, labels
                            // 0-9 in turn), "{one}" one with a single training image, "{test_one}" one with a
                            // single test image (of class 0), "{scratch}" a fresh folder
    std::string expected;   // a fragment of what the program writes on stderr
};

std::string substituted(std::string text, const std::string& key, const std::string& value) {
    for (std::size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size()))
        text.replace(at, key.size(), value);
    return text;
}

void check_rows(const std::string& group, const std::vector<FlagRow>& rows) {
    const auto scratch = scratch_folder("flag_checks");
    write_tiny_mnist(scratch / "data");
    write_tiny_mnist(scratch / "one", 1, 20);
    write_tiny_mnist(scratch / "test_one", 60, 1);
    std::ofstream(scratch / "file") << "x";
    for (const FlagRow& row : rows) {
        const auto expand = [&](std::string text) {
            for (const char* folder : {"data", "one", "test_one"})
                text = substituted(text, "{" + std::string(folder) + "}", (scratch / folder).string());
            return substituted(text, "{scratch}", scratch.string());
        };
        const std::string arguments = expand(row.arguments);
        CAPTURE(row.name);
        CAPTURE(arguments);
        const AppRun run = row.program == "ae2d" ? run_app(app_path("AE2D", "ae2d"), arguments, scratch)
                                                 : run_app(app_path("AE_MNIST", "ae_mnist"), arguments, scratch);
        CAPTURE(run.err);
        CHECK(run.exit_code == 2);
        CHECK(run.err.find(expand(row.expected)) != std::string::npos);
        // Refused before training started (the progress lines may go to either stream).
        CHECK(run.out.find("Epoch ") == std::string::npos);
        CHECK(run.err.find("Epoch ") == std::string::npos);
        const std::string first_line = run.err.substr(0, run.err.find('\n'));
        record_bad_input(group, "`" + row.program + " " + row.arguments + "` (" + row.name + "), exit " + std::to_string(run.exit_code),
                         without_folder(first_line, scratch.string()));
    }
    std::filesystem::remove_all(scratch);
}

}  // namespace

TEST_SUITE("reliability.flag_checks") {

TEST_CASE("whole numbers are decimal; not a number, negative, too large and out of range each say so") {
    check_rows("number flags", {
        {"seed negative (was 2^64 - 1)", "ae_mnist", "--seed -1 --data {data} --limit 20 --epochs 1 --out {scratch}/out",
         "--seed: -1 is negative; expected a whole number from 0 to 18446744073709551615"},
        {"seed above 2^64 - 1 (was 2^64 - 1)", "ae_mnist",
         "--seed 99999999999999999999 --data {data} --limit 20 --epochs 1 --out {scratch}/out",
         "--seed: 99999999999999999999 is too large: more than 18446744073709551615; expected a whole number from 0 to 18446744073709551615"},
        {"seed in hexadecimal", "ae_mnist", "--seed 0x10 --data {data} --limit 20 --epochs 1 --out {scratch}/out",
         "--seed: 0x10 is not a whole number in decimal digits; expected a whole number from 0 to 18446744073709551615"},
        {"epochs not a number", "ae_mnist", "--epochs ten",
         "--epochs: ten is not a whole number in decimal digits; expected a whole number from 1 to 100000"},
        {"epochs negative", "ae_mnist", "--epochs -3", "--epochs: -3 is negative; expected a whole number from 1 to 100000"},
        {"epochs in exponent notation", "ae_mnist", "--epochs 1e3",
         "--epochs: 1e3 is not a whole number in decimal digits; expected a whole number from 1 to 100000"},
        {"epochs above 2^64", "ae_mnist", "--epochs 99999999999999999999999",
         "--epochs: 99999999999999999999999 is too large: more than 18446744073709551615; expected a whole number from 1 to 100000"},
        {"epochs above the range", "ae_mnist", "--epochs 100001", "--epochs: Value 100001 not in range 1 to 100000"},
        {"threads a fraction", "ae_mnist", "--threads 1.5",
         "--threads: 1.5 is not a whole number in decimal digits; expected a whole number from 0 to 1024"},
        {"a limit with a leading zero is decimal (was octal: 010 = 8)", "ae_mnist",
         "--data {data} --limit 010 --batch-size 11 --out {scratch}/out",
         "ae_mnist: error: --batch-size 11 is larger than the 10 training images; use at most 10"},
        {"one of a list negative", "ae_mnist", "pretrain --labels-per-class 10,-1",
         "--labels-per-class: -1 is negative; expected a whole number from 1 to 1000000"},
        {"points with a leading zero are decimal (was octal: 010 = 8, refused as out of range)", "ae2d",
         "-n 010 --batch-size 11 --out {scratch}/out", "ae2d: error: --batch-size 11 is larger than the 10 points; use at most 10"},
        {"seed negative (was 2^64 - 1)", "ae2d", "--seed -1 --points 100 --epochs 1 --out {scratch}/out",
         "--seed: -1 is negative; expected a whole number from 0 to 18446744073709551615"},
        {"classes not a number", "ae2d", "--classes two",
         "--classes: two is not a whole number in decimal digits; expected a whole number from 1 to 20"},
        {"points above 2^64", "ae2d", "--points 99999999999999999999",
         "--points: 99999999999999999999 is too large: more than 18446744073709551615; expected a whole number from 10 to 10000000"},
        {"batch size negative", "ae2d", "--batch-size -1", "--batch-size: -1 is negative; expected a whole number from 1 to 10000000"},
    });
}

TEST_CASE("real numbers: NaN, infinity and trailing characters are not numbers; a bound can be excluded") {
    check_rows("number flags", {
        {"fpr NaN", "ae_mnist", "anomaly --fpr nan", "--fpr: nan is not a number; expected a number from 0 to 1"},
        {"noise NaN", "ae_mnist", "denoise --noise-stddev nan", "--noise-stddev: nan is not a number; expected a number from 0 to 10"},
        {"noise infinite", "ae_mnist", "denoise --noise-stddev inf",
         "--noise-stddev: inf is not a finite number; expected a number from 0 to 10"},
        {"beta with trailing characters", "ae_mnist", "vae --beta 1x", "--beta: 1x is not a number; expected a number from 0 to 1000"},
        {"l1 in hexadecimal", "ae_mnist", "sparse --l1 0x1p-3", "--l1: 0x1p-3 is not a number; expected a number from 0 to 100"},
        {"l1 beyond a double", "ae_mnist", "sparse --l1 1e999",
         "--l1: 1e999 is beyond the range of a double; expected a number from 0 to 100"},
        {"salt and pepper 1 (every pixel noise; was a run-time error)", "ae_mnist",
         "denoise --salt-pepper 1 --data {data} --limit 20 --epochs 1 --out {scratch}/out",
         "--salt-pepper: Value 1 not in range 0 to 1, 1 excluded"},
    });
}

TEST_CASE("values wrong only for the data or the other flags are refused after reading the data, before training") {
    check_rows("late checks", {
        {"a code larger than an image (PCA has at most 784 components)", "ae_mnist",
         "--data {data} --bottleneck 1000 --out {scratch}/out",
         "ae_mnist: error: --bottleneck 1000 is more than the 784 pixels of an image: PCA, the baseline this run "
         "compares with, has at most 784 components; use at most 784"},
        {"limit 1 (PCA needs 2 images)", "ae_mnist", "--data {data} --limit 1 --out {scratch}/out",
         "ae_mnist: error: --limit 1 leaves 1 training image; PCA, the baseline this run compares with, needs at least 2: "
         "use --limit 2 or more (0: all)"},
        {"conv: limit 1", "ae_mnist", "conv --data {data} --limit 1 --out {scratch}/out",
         "ae_mnist: error: --limit 1 leaves 1 training image; PCA, the baseline this run compares with, needs at least 2"},
        {"classify: limit 1", "ae_mnist", "classify --data {data} --limit 1 --out {scratch}/out",
         "ae_mnist: error: --limit 1 leaves 1 training image; PCA, the baseline this run compares with, needs at least 2"},
        {"compress: limit 1", "ae_mnist",
         "compress --data {data} --limit 1 --weights {scratch}/file --input {scratch}/file --output {scratch}/out.codes",
         "ae_mnist: --limit 1: compress fits PCA, its baseline, on the training images, which needs at least 2; use "
         "--limit 2 or more (0: all)"},
        {"data of one training image", "ae_mnist", "--data {one} --out {scratch}/out",
         "ae_mnist: error: --data {one} holds 1 training image; PCA, the baseline this run compares with, needs at least 2"},
        {"anomaly: limit 1 leaves no test image of the class", "ae_mnist", "anomaly --data {data} --limit 1 --out {scratch}/out",
         "ae_mnist: error: --anomaly-class 1: no test image is of class 1 (of 1 test image, after --limit 1), so there "
         "is nothing to detect; use a larger --limit or another class"},
        {"anomaly: the class is every training image", "ae_mnist",
         "anomaly --data {data} --anomaly-class 0 --limit 1 --batch-size 1 --out {scratch}/out",
         "ae_mnist: error: --anomaly-class 0 leaves no training image: every training image is of class 0 (of 1 "
         "training image, after --limit 1); use a larger --limit or another class"},
        {"anomaly: the class is every test image", "ae_mnist", "anomaly --data {test_one} --anomaly-class 0 --out {scratch}/out",
         "ae_mnist: error: --anomaly-class 0: every test image is of class 0 (of 1 test image), so none is normal to "
         "tell it from; use another class"},
    });
}

}

TEST_SUITE("reliability.flag_checks") {

TEST_CASE("a run refused for its data or flags leaves no output folder behind (nor its parents)") {
    const auto scratch = scratch_folder("no_empty_out");
    write_tiny_mnist(scratch / "one", 1, 20);
    const std::vector<std::pair<std::string, int>> runs = {
        {"--data " + quoted((scratch / "missing").string()), 1},                          // no data
        {"--data " + quoted((scratch / "one").string()), 2},                              // too few images for PCA
        {"vae --data " + quoted((scratch / "missing").string()), 1},
        {"anomaly --data " + quoted((scratch / "one").string()) + " --anomaly-class 0", 2},
    };
    for (const auto& row : runs) {
        const std::string& arguments = row.first;
        CAPTURE(arguments);
        const AppRun run = run_app(app_path("AE_MNIST", "ae_mnist"),
                                   arguments + " --out " + quoted((scratch / "new" / "deeper").string()), scratch);
        CAPTURE(run.err);
        CHECK(run.exit_code == row.second);
        CHECK_FALSE(std::filesystem::exists(scratch / "new"));
    }
    std::filesystem::remove_all(scratch);
}

TEST_CASE("--precision: a name it does not know is refused; bf16 without bf16 kernels fails before any work") {
    const auto scratch = scratch_folder("precision_flag");
    write_tiny_mnist(scratch / "data");
    const std::string data = " --data " + quoted((scratch / "data").string()) + " --limit 20 --epochs 1 --out " +
                             quoted((scratch / "out").string());
    const auto app = app_path("AE_MNIST", "ae_mnist");

    AppRun run = run_app(app, "--precision fp16" + data, scratch);
    CAPTURE(run.err);
    CHECK(run.exit_code == 2);
    CHECK(run.err.find("--precision: fp16 not in {fp32,bf16}") != std::string::npos);

    // SSE2 stands for a CPU without AVX512_BF16: the check comes before the data is read.
    run = run_app(app, "--precision bf16" + data, scratch, {{"SMALLNET_SIMD", "sse2"}});
    CAPTURE(run.err);
    CHECK(run.exit_code == 1);
    CHECK(run.err.find("ae_mnist: error: --precision bf16 needs the AVX512_BF16 instruction set") != std::string::npos);
    CHECK(run.out.find("data: ") == std::string::npos);

    // The conv models' convolutions run in fp32 only: bf16 is refused for them, not run in fp32 unasked.
    for (const std::string command : {"conv", "denoise --model conv"}) {
        run = run_app(app, command + " --precision bf16" + data, scratch);
        CAPTURE(run.err);
        CHECK(run.exit_code == 2);
        CHECK(run.err.find("ae_mnist: --precision bf16 does not apply to the conv models: their products are "
                           "convolutions, which run in fp32 only") != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(scratch / "out"));
    }

    // The output says which path runs: bf16's where it can, else fp32's.
    const bool bf16 = smallnet::bf16_instruction_set() != smallnet::Bf16InstructionSet::none;
    run = run_app(app, std::string("--precision ") + (bf16 ? "bf16" : "fp32") + data, scratch);
    CAPTURE(run.err);
    CHECK(run.exit_code == 0);
    CHECK(run.out.find(bf16 ? "products: bf16 on " + std::string(smallnet::instruction_set_name(
                                                          smallnet::bf16_instruction_set()))
                            : "products: fp32 on " +
                                  std::string(smallnet::instruction_set_name(smallnet::active_instruction_set()))) !=
          std::string::npos);
    std::filesystem::remove_all(scratch);
}

}
