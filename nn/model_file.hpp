#pragma once
// Whole-model files (Keras' model.save / keras.models.load_model, PyTorch's checkpoints): one
// safetensors file holding the weights by name (as save_weights), and in its metadata, under
// "smallnet_model", a versioned JSON document with the architecture (every layer's config, nested
// models and their names), the compiled loss, optimizer and precision of the products, and the epochs
// trained so far; the optimizer's state (Adam's moments, SGD's velocity) is stored as tensors "optimizer.<name>".
//
//   autoencoder.save("autoencoder.safetensors");
//   Sequential model = load_model("autoencoder.safetensors");  // predicts bitwise as the saved one
//   Sequential encoder = model.get_model("encoder");           // sub-models by name
//   model.fit(x, x, {.epochs = 10, .initial_epoch = model.epochs_trained()});  // resumes
//
// Format version 1. Other programs read it as any safetensors file (the weights of Dense are [in, out],
// of Conv2D [kh, kw, in, out]: tools/torch_load_model.py shows PyTorch's layouts).

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "nn/config.hpp"
#include "nn/io/safetensors.hpp"
#include "nn/layer.hpp"
#include "nn/losses.hpp"
#include "nn/optimizers.hpp"
#include "nn/sequential.hpp"

namespace smallnet {

// The version this library writes, and the newest it reads.
inline constexpr int model_file_format_version = 1;

struct LoadModelOptions {
    // The function a model compiled with a loss of the user's was trained with: a file cannot hold a
    // function (Keras asks for it in custom_objects). load_model refuses such a file without it.
    CustomLoss custom_loss{};
};

// Reads a file written by Sequential::save: a ready model, built, with its weights, compiled as it was
// saved (optimizer state and step count included) and its history. FileError naming the file and the
// layer and field for anything that does not fit: an unknown layer type, a newer format version, a
// field of the wrong kind, tensors that do not match the layers' shapes, weights that are not finite.
Sequential load_model(const std::filesystem::path& path, const LoadModelOptions& options = {});
// The same from a file's contents already read (what load_model does after read_safetensors); `path`
// names it in errors.
Sequential model_from_contents(const SafetensorsContents& contents, const std::filesystem::path& path,
                               const LoadModelOptions& options = {});

// A layer made from its config (Module::config), unbuilt; std::invalid_argument naming config.where and
// the field for anything it cannot make.
Layer layer_from_config(const Config& config);
std::unique_ptr<Optimizer> optimizer_from_config(const Config& config);

}  // namespace smallnet
