// Sequential::save_weights and load_weights: the model's parameters as a safetensors file; get_weights
// and set_weights: the same in memory.
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

std::vector<Tensor> Sequential::get_weights() const {
    std::vector<Tensor> out;
    for (const auto& p : parameters()) out.push_back(p.variable->value().clone());
    return out;
}

void Sequential::set_weights(const std::vector<Tensor>& weights) {
    const auto params = parameters();
    if (params.empty()) throw std::logic_error("set_weights: build the model first, so its weights have shapes");
    if (weights.size() != params.size())
        throw std::invalid_argument("set_weights: model '" + name() + "' has " + std::to_string(params.size()) +
                                    " weight tensors, " + std::to_string(weights.size()) + " were given");
    for (std::size_t i = 0; i < params.size(); ++i)
        if (weights[i].shape() != params[i].variable->shape())
            throw std::invalid_argument("set_weights: tensor " + std::to_string(i) + " ('" + params[i].name + "') has shape " +
                                        params[i].variable->shape().to_string() + ", the one given " +
                                        weights[i].shape().to_string());
    for (std::size_t i = 0; i < params.size(); ++i) params[i].variable->value().copy_from(weights[i]);
}

}  // namespace smallnet
