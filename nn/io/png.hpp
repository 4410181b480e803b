#pragma once
// PNG pictures of images: one image, or a grid of same-sized grey images (rows of originals above
// their reconstructions), encoded in memory with stb_image_write (Debian's libstb) and written
// atomically. read_png_info checks what any PNG writer produced: the signature and the IHDR chunk.

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "tensor/tensor.hpp"

namespace smallnet {

// The 8 bytes every PNG file starts with.
inline constexpr std::uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

// PNG bytes of `height` rows of `width` pixels of `channels` (1 grey, 3 RGB, 4 RGBA) bytes each.
std::vector<std::uint8_t> encode_png(std::span<const std::uint8_t> pixels, int width, int height, int channels);
void save_png(const std::filesystem::path& path, std::span<const std::uint8_t> pixels, int width, int height,
              int channels);

struct ImageGridOptions {
    int scale = 2;                   // each image pixel becomes scale x scale pixels
    int gap = 2;                     // pixels between images and between rows (before scaling)
    std::uint8_t background = 128;   // grey of the gaps
};

// A grid of grey images: grid row r shows the images of rows[r] left to right; rows[r] is
// [count, image_height · image_width] with values in [0, 1] (clamped; NaN is drawn black). Rows may
// hold different counts; the grid is as wide as the longest.
std::vector<std::uint8_t> encode_image_grid(const std::vector<Tensor>& rows, int image_height, int image_width,
                                            const ImageGridOptions& options = {});
void save_image_grid(const std::filesystem::path& path, const std::vector<Tensor>& rows, int image_height,
                     int image_width, const ImageGridOptions& options = {});

struct PngInfo {
    std::uint32_t width = 0;
    std::uint32_t height = 0;
    int bit_depth = 0;
    int color_type = 0;  // 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA
};

// The size and format in a PNG's IHDR chunk; throws FileError when the file is missing, does not
// start with the PNG signature (e.g. PostScript written under a .png name) or has no IHDR first.
PngInfo read_png_info(const std::filesystem::path& path);
// The same for bytes in memory; throws std::invalid_argument.
PngInfo png_info(std::span<const std::uint8_t> bytes);

}  // namespace smallnet
