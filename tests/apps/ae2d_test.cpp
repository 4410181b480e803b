#include <cstdio>
#include <filesystem>
#include <utility>

#include "tests/apps/run_app.hpp"
#include "tests/support.hpp"
#include "nn/io/png.hpp"
#include "nn/io/safetensors.hpp"

using namespace smallnet;
using namespace smallnet::testing;

TEST_SUITE("apps.ae2d") {

TEST_CASE("ae2d trains, prints the table and the MSEs, and writes every file") {
    const auto scratch = scratch_folder("ae2d");
    const auto out = scratch / "out";
    const AppRun run = run_app(app_path("AE2D", "ae2d"), "--out " + quoted(out.string()) + " --epochs 20 --seed 3", scratch);
    INFO(run.out);
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(run.out.find("10 random points") != std::string::npos);
    CHECK(run.out.find("reconstruction MSE: autoencoder") != std::string::npos);
    CHECK(run.out.find("PCA (1 component)") != std::string::npos);

    const std::string points = read_text(out / "points.csv");
    CHECK(points.rfind("x1,x2,class,code,x1_hat,x2_hat\n", 0) == 0);
    CHECK(count_lines(points) == 1001);
    CHECK(count_lines(read_text(out / "history.csv")) == 21);
    for (const char* picture : {"reconstruction.png", "codes.png", "loss.png"}) {
        CAPTURE(picture);
        const PngInfo info = read_png_info(out / picture);
        CHECK(info.width >= 400);
        CHECK(info.height >= 300);
    }
    CHECK(load_safetensors(out / "weights.safetensors").size() == 4);  // 2 kernels, 2 biases

    const AppRun nonlinear = run_app(app_path("AE2D", "ae2d"),
                                     "--out " + quoted((scratch / "nl").string()) + " --nonlinear --epochs 3 -n 200", scratch);
    CHECK(nonlinear.exit_code == 0);
    CHECK(load_safetensors(scratch / "nl" / "weights.safetensors").size() == 8);
    CHECK(count_lines(read_text(scratch / "nl" / "points.csv")) == 201);
    std::filesystem::remove_all(scratch);
}

// Reads "reconstruction MSE: autoencoder A, PCA (1 component) P" from the app's output.
std::pair<double, double> autoencoder_and_pca_mse(const std::string& out) {
    const std::size_t at = out.find("reconstruction MSE: autoencoder ");
    REQUIRE(at != std::string::npos);
    double autoencoder = 0, pca = 0;
    REQUIRE(std::sscanf(out.c_str() + at, "reconstruction MSE: autoencoder %lf, PCA (1 component) %lf", &autoencoder,
                        &pca) == 2);
    return {autoencoder, pca};
}

TEST_CASE("ae2d: the linear model finds PCA's line; the non-linear one bends and beats it") {
    const auto scratch = scratch_folder("ae2d_bend");
    const auto app = app_path("AE2D", "ae2d");
    const AppRun linear = run_app(app, "--out " + quoted((scratch / "linear").string()), scratch);
    const AppRun nonlinear = run_app(app, "--out " + quoted((scratch / "nonlinear").string()) + " --nonlinear", scratch);
    INFO(linear.err);
    INFO(nonlinear.err);
    REQUIRE(linear.exit_code == 0);
    REQUIRE(nonlinear.exit_code == 0);
    const auto [linear_mse, pca_mse] = autoencoder_and_pca_mse(linear.out);
    const auto [bent_mse, same_pca_mse] = autoencoder_and_pca_mse(nonlinear.out);
    CHECK(same_pca_mse == pca_mse);               // the same seed gives the same data
    CHECK(linear_mse <= pca_mse * 1.02);          // a line can do no better than PCA, and gets within 2%
    CHECK(linear_mse >= pca_mse * (1 - 1e-4));
    CHECK(bent_mse < pca_mse * 0.95);             // a curve through the two clusters does clearly better
    std::filesystem::remove_all(scratch);
}

TEST_CASE("ae2d: --help exits 0, bad flags and values exit 2 with a message") {
    const auto scratch = scratch_folder("ae2d_cli");
    const auto app = app_path("AE2D", "ae2d");
    const AppRun help = run_app(app, "--help", scratch);
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("--nonlinear") != std::string::npos);
    const AppRun bad_flag = run_app(app, "--no-such-flag", scratch);
    CHECK(bad_flag.exit_code == 2);
    CHECK(bad_flag.err.find("no-such-flag") != std::string::npos);
    const AppRun bad_value = run_app(app, "--epochs zero", scratch);
    CHECK(bad_value.exit_code == 2);
    CHECK_FALSE(bad_value.err.empty());
    const AppRun out_of_range = run_app(app, "--epochs 0", scratch);
    CHECK(out_of_range.exit_code == 2);
    // A file where the output folder should be: a run-time error.
    std::ofstream(scratch / "file") << "x";
    const AppRun blocked = run_app(app, "--out " + quoted((scratch / "file").string()) + " --epochs 1", scratch);
    CHECK(blocked.exit_code == 1);
    CHECK(blocked.err.rfind("ae2d: error: ", 0) == 0);
    std::filesystem::remove_all(scratch);
}

}
