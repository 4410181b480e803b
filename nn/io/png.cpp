#include "nn/io/png.hpp"

#include <stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>

#include "nn/io/atomic_file.hpp"
#include "nn/io/file_error.hpp"

namespace smallnet {

namespace {

void append_bytes(void* context, void* data, int size) {
    auto* out = static_cast<std::vector<std::uint8_t>*>(context);
    const auto* bytes = static_cast<const std::uint8_t*>(data);
    out->insert(out->end(), bytes, bytes + size);
}

std::uint32_t big_endian_u32(const std::uint8_t* p) {
    return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | std::uint32_t{p[3]};
}

}  // namespace

std::vector<std::uint8_t> encode_png(std::span<const std::uint8_t> pixels, int width, int height, int channels) {
    if (width <= 0 || height <= 0 || channels < 1 || channels > 4)
        throw std::invalid_argument("encode_png: bad size " + std::to_string(width) + "x" + std::to_string(height) +
                                    " with " + std::to_string(channels) + " channels");
    if (pixels.size() != static_cast<std::size_t>(width) * height * channels)
        throw std::invalid_argument("encode_png: " + std::to_string(pixels.size()) + " bytes for a " +
                                    std::to_string(width) + "x" + std::to_string(height) + "x" +
                                    std::to_string(channels) + " image");
    std::vector<std::uint8_t> out;
    if (!stbi_write_png_to_func(append_bytes, &out, width, height, channels, pixels.data(), width * channels))
        throw std::runtime_error("encode_png: stb_image_write failed");
    return out;
}

void save_png(const std::filesystem::path& path, std::span<const std::uint8_t> pixels, int width, int height,
              int channels) {
    const std::vector<std::uint8_t> png = encode_png(pixels, width, height, channels);
    write_file_atomically(path, std::as_bytes(std::span(png)));
}

std::vector<std::uint8_t> encode_image_grid(const std::vector<Tensor>& rows, int image_height, int image_width,
                                            const ImageGridOptions& options) {
    if (rows.empty()) throw std::invalid_argument("image grid: no rows of images");
    if (image_height <= 0 || image_width <= 0 || options.scale <= 0 || options.gap < 0)
        throw std::invalid_argument("image grid: bad image size, scale or gap");
    const std::int64_t pixels = std::int64_t{image_height} * image_width;
    std::int64_t columns = 0;
    for (const Tensor& row : rows) {
        if (row.rank() != 2 || row.size(1) != pixels)
            throw_shape_error("image grid", row.shape(),
                              "each row must be [count, " + std::to_string(pixels) + "] (images of " +
                                  std::to_string(image_height) + "x" + std::to_string(image_width) + ")");
        columns = std::max(columns, row.size(0));
    }
    if (columns == 0) throw std::invalid_argument("image grid: no images");
    const int s = options.scale, gap = options.gap;
    const std::int64_t width = (columns * (image_width + gap) + gap) * s;
    const std::int64_t height = (static_cast<std::int64_t>(rows.size()) * (image_height + gap) + gap) * s;
    std::vector<std::uint8_t> canvas(static_cast<std::size_t>(width * height), options.background);
    for (std::size_t r = 0; r < rows.size(); ++r) {
        for (std::int64_t c = 0; c < rows[r].size(0); ++c) {
            const float* image = rows[r].data() + c * pixels;
            const std::int64_t left = (gap + c * (image_width + gap)) * s;
            const std::int64_t top = (gap + static_cast<std::int64_t>(r) * (image_height + gap)) * s;
            for (int y = 0; y < image_height; ++y) {
                for (int x = 0; x < image_width; ++x) {
                    const float v = image[y * image_width + x];
                    const auto grey = static_cast<std::uint8_t>(
                        std::isnan(v) ? 0.0f : std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f));
                    for (int dy = 0; dy < s; ++dy) {
                        std::uint8_t* line = canvas.data() + (top + y * s + dy) * width + left + x * s;
                        std::fill(line, line + s, grey);
                    }
                }
            }
        }
    }
    return encode_png(canvas, static_cast<int>(width), static_cast<int>(height), 1);
}

void save_image_grid(const std::filesystem::path& path, const std::vector<Tensor>& rows, int image_height,
                     int image_width, const ImageGridOptions& options) {
    const std::vector<std::uint8_t> png = encode_image_grid(rows, image_height, image_width, options);
    write_file_atomically(path, std::as_bytes(std::span(png)));
}

PngInfo png_info(std::span<const std::uint8_t> bytes) {
    // signature (8), IHDR length (4) and type (4), width, height, bit depth, colour type
    if (bytes.size() < 8 || std::memcmp(bytes.data(), png_signature, 8) != 0)
        throw std::invalid_argument("not a PNG file (no PNG signature)");
    if (bytes.size() < 26 || std::memcmp(bytes.data() + 12, "IHDR", 4) != 0 || big_endian_u32(bytes.data() + 8) != 13)
        throw std::invalid_argument("PNG without an IHDR chunk first");
    PngInfo info;
    info.width = big_endian_u32(bytes.data() + 16);
    info.height = big_endian_u32(bytes.data() + 20);
    info.bit_depth = bytes[24];
    info.color_type = bytes[25];
    return info;
}

PngInfo read_png_info(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw FileError(path, "cannot open");
    std::uint8_t head[26] = {};
    file.read(reinterpret_cast<char*>(head), sizeof head);
    try {
        return png_info(std::span(head, static_cast<std::size_t>(file.gcount())));
    } catch (const std::invalid_argument& e) {
        throw FileError(path, e.what());
    }
}

}  // namespace smallnet
