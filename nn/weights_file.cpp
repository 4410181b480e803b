// Sequential::save_weights and load_weights: the model's parameters as a safetensors file.
#include <map>
#include <stdexcept>
#include <string>

#include "nn/io/safetensors.hpp"
#include "nn/sequential.hpp"

namespace smallnet {

void Sequential::save_weights(const std::filesystem::path& path) const {
    std::vector<std::pair<std::string, Tensor>> tensors;
    for (const auto& p : parameters()) tensors.emplace_back(p.name, p.variable->value());
    if (tensors.empty()) throw std::logic_error("save_weights: the model has no weights yet (build or fit it first)");
    save_safetensors(path, tensors, {{"format", "pt"}, {"framework", "smallnet"}});
}

void Sequential::load_weights(const std::filesystem::path& path) {
    const auto params = parameters();
    if (params.empty()) throw std::logic_error("load_weights: build the model first, so its weights have shapes");
    const auto loaded = load_safetensors(path);
    std::map<std::string, const Tensor*> by_name;
    for (const auto& [name, tensor] : loaded) by_name[name] = &tensor;

    // Check everything before changing anything, so a bad file leaves the model as it was.
    std::string problems;
    for (const auto& p : params) {
        auto it = by_name.find(p.name);
        if (it == by_name.end()) {
            problems += "\n  missing tensor '" + p.name + "' " + p.variable->shape().to_string();
        } else if (it->second->shape() != p.variable->shape()) {
            problems += "\n  tensor '" + p.name + "' has shape " + it->second->shape().to_string() +
                        ", the model needs " + p.variable->shape().to_string();
        }
    }
    for (const auto& [name, tensor] : loaded) {
        bool known = false;
        for (const auto& p : params) known = known || p.name == name;
        if (!known) problems += "\n  unexpected tensor '" + name + "' " + tensor.shape().to_string();
    }
    if (!problems.empty())
        throw std::runtime_error("load_weights: " + path.string() + " does not fit model '" + name() + "':" + problems);
    for (const auto& p : params) p.variable->value().copy_from(*by_name[p.name]);
}

}  // namespace smallnet
