#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "tests/support.hpp"
#include "nn/io/file_error.hpp"
#include "nn/io/png.hpp"

using namespace smallnet;

namespace {
std::filesystem::path temp_path(const std::string& name) {
    return std::filesystem::temp_directory_path() / ("smallnet_png_test_" + std::to_string(getpid()) + "_" + name);
}
}  // namespace

TEST_SUITE("nn.io_png") {

TEST_CASE("encode_png writes the signature and an IHDR with the size") {
    std::vector<std::uint8_t> pixels(7 * 3 * 3, 200);
    const std::vector<std::uint8_t> png = encode_png(pixels, 7, 3, 3);
    const PngInfo info = png_info(png);
    CHECK(info.width == 7);
    CHECK(info.height == 3);
    CHECK(info.bit_depth == 8);
    CHECK(info.color_type == 2);
    CHECK_THROWS_AS(encode_png(pixels, 8, 3, 3), std::invalid_argument);
}

TEST_CASE("an image grid is as wide as its longest row and as tall as its rows") {
    // 3 images of 4x5 above 2 others, scale 2, gap 1: width (3·(5+1)+1)·2, height (2·(4+1)+1)·2.
    const Tensor top = full(Shape{3, 20}, 0.5f), bottom = full(Shape{2, 20}, 2.0f);  // 2.0 is clamped
    const std::filesystem::path path = temp_path("grid.png");
    save_image_grid(path, {top, bottom}, 4, 5, {.scale = 2, .gap = 1});
    const PngInfo info = read_png_info(path);
    CHECK(info.width == 38);
    CHECK(info.height == 22);
    CHECK(info.color_type == 0);
    std::filesystem::remove(path);
    CHECK_THROWS_AS(save_image_grid(path, {zeros(Shape{2, 19})}, 4, 5), std::invalid_argument);
    CHECK_THROWS_AS(save_image_grid(path, {}, 4, 5), std::invalid_argument);
}

TEST_CASE("read_png_info refuses a file that is not a PNG (PostScript under a .png name)") {
    const std::filesystem::path path = temp_path("fake.png");
    std::ofstream(path) << "%!PS-Adobe-2.0 EPSF-2.0\n";
    CHECK_THROWS_AS(read_png_info(path), FileError);
    std::filesystem::remove(path);
    CHECK_THROWS_AS(read_png_info(path), FileError);  // missing
}

}
