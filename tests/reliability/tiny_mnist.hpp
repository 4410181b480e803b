#pragma once
// A tiny MNIST-format folder for running ae_mnist in the reliability tests: 28x28 images, labels
// cycling through 0-9, each image one bright pixel placed by its class.

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "nn/io/idx.hpp"

namespace smallnet::testing {

inline void write_tiny_mnist(const std::filesystem::path& folder, int train = 60, int test = 20) {
    std::filesystem::create_directories(folder);
    for (const auto& [split, count] : {std::pair{"train", train}, std::pair{"t10k", test}}) {
        std::vector<std::uint8_t> images(static_cast<std::size_t>(count) * 784, 0), labels(static_cast<std::size_t>(count));
        for (int i = 0; i < count; ++i) {
            labels[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i % 10);
            images[static_cast<std::size_t>(i) * 784 + static_cast<std::size_t>(i % 10) * 70] = 255;
        }
        write_idx(folder / (std::string(split) + "-images-idx3-ubyte"), {count, 28, 28}, images);
        write_idx(folder / (std::string(split) + "-labels-idx1-ubyte"), {count}, labels);
    }
}

}  // namespace smallnet::testing
