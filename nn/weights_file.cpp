// Sequential::save_weights and load_weights: the model's parameters as a safetensors file; get_weights
// and set_weights: the same in memory.
#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <string>

#include "nn/io/safetensors.hpp"
#include "nn/sequential.hpp"
#include "nn/weights_file.hpp"

namespace smallnet {

namespace {

// The index of element `flat` of a row-major tensor of `shape`: "[1, 0]".
std::string index_text(std::int64_t flat, const Shape& shape) {
    std::vector<std::int64_t> index(static_cast<std::size_t>(shape.rank()));
    for (int axis = shape.rank() - 1; axis >= 0; --axis) {
        index[static_cast<std::size_t>(axis)] = flat % shape[axis];
        flat /= shape[axis];
    }
    std::string text = "[";
    for (std::size_t i = 0; i < index.size(); ++i) text += (i ? ", " : "") + std::to_string(index[i]);
    return text + "]";
}

// "holds NaN at element 3 (index [1, 1] of shape [3, 2])" for the first element that is not finite;
// empty when every element is.
std::string first_non_finite(const Tensor& tensor) {
    const auto values = tensor.values();
    const auto bad = std::find_if(values.begin(), values.end(), [](float v) { return !std::isfinite(v); });
    if (bad == values.end()) return "";
    const auto element = static_cast<std::int64_t>(bad - values.begin());
    return std::string("holds ") + (std::isnan(*bad) ? "NaN" : *bad > 0 ? "infinity" : "-infinity") + " at element " +
           std::to_string(element) + " (index " + index_text(element, tensor.shape()) + " of shape " +
           tensor.shape().to_string() + ")";
}

}  // namespace

void Sequential::save_weights(const std::filesystem::path& path) const {
    std::vector<std::pair<std::string, Tensor>> tensors;
    for (const auto& p : parameters()) tensors.emplace_back(p.name, p.variable->value());
    if (tensors.empty()) throw std::logic_error("save_weights: the model has no weights yet (build or fit it first)");
    save_safetensors(path, tensors, {{"format", "pt"}, {"framework", "smallnet"}});
}

void Sequential::load_weights(const std::filesystem::path& path) {
    if (parameters().empty()) throw std::logic_error("load_weights: build the model first, so its weights have shapes");
    SafetensorsContents contents = read_safetensors(path);
    // A whole-model file (Sequential::save) holds the weights too, beside the optimizer's state.
    if (contents.metadata.count("smallnet_model"))
        std::erase_if(contents.tensors, [](const auto& entry) { return entry.first.rfind("optimizer.", 0) == 0; });
    load_named_weights(*this, contents.tensors, path.string(), "load_weights");
}

void load_named_weights(Sequential& model, const NamedTensors& loaded, const std::string& source, const std::string& what) {
    const auto params = model.parameters();
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
        throw std::runtime_error(what + ": " + source + " does not fit model '" + model.name() + "':" + problems);
    // safetensors holds any float, but a weight that is not finite makes every output it reaches NaN or
    // infinite (or 0 after a ReLU), silently; ModelCheckpoint refuses to write one for the same reason.
    for (const auto& p : params)
        if (const std::string bad = first_non_finite(*by_name[p.name]); !bad.empty())
            throw std::runtime_error(what + ": " + source + ": tensor '" + p.name + "' " + bad +
                                     "; weights must be finite numbers");
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
