#pragma once
// MNIST-style data sets (MNIST, Fashion-MNIST, KMNIST): four IDX files in one folder, images
// [count, rows, columns] of unsigned bytes and labels [count] of 0-9. Files are found under either
// spelling in use (train-images-idx3-ubyte, train-images.idx3-ubyte), raw or gzip.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "nn/byte_matrix.hpp"

namespace smallnet {

struct MnistSplit {
    ByteMatrix images;                 // [count, rows · columns], scale 1/255 (pixels in [0, 1])
    std::vector<std::uint8_t> labels;  // count of them, each 0-9
    std::int64_t rows = 0;
    std::int64_t columns = 0;
};

struct MnistData {
    MnistSplit train;
    MnistSplit test;
};

// The file of `split` ("train" or "t10k") and `part` ("images" or "labels") in `folder`, trying
// "<split>-<part>-idxN-ubyte" and "<split>-<part>.idxN-ubyte", each without and with ".gz". Throws
// FileError naming the folder and every name tried when none exists.
std::filesystem::path find_mnist_file(const std::filesystem::path& folder, const std::string& split,
                                      const std::string& part);

// One split, checked: images have 3 dimensions, labels 1, as many labels as images, labels ≤ 9.
MnistSplit read_mnist_split(const std::filesystem::path& folder, const std::string& split);
// Both splits; the test images must have the train images' size.
MnistData read_mnist(const std::filesystem::path& folder);

// The names of the ten classes, for legends and tables: Fashion-MNIST's ("T-shirt/top", "Trouser",
// ..., "Ankle boot") when the folder's path names it (it contains "fashion", in any case, as Debian's
// /usr/share/datasets/fashion-mnist does), else the digits "0" to "9".
std::vector<std::string> mnist_class_names(const std::filesystem::path& folder);

}  // namespace smallnet
