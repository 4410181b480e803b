// Sequential::save and load_model: a whole model as one safetensors file (see nn/model_file.hpp).
#include "nn/model_file.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "nn/conv.hpp"
#include "nn/dense.hpp"
#include "nn/io/file_error.hpp"
#include "nn/parameter_store.hpp"
#include "nn/pooling.hpp"
#include "nn/reshaping.hpp"
#include "nn/sampling.hpp"
#include "nn/simple_layers.hpp"
#include "nn/weights_file.hpp"
#include "tensor/precision.hpp"

namespace smallnet {

namespace {

using Json = nlohmann::ordered_json;

constexpr const char* metadata_key = "smallnet_model";
constexpr const char* optimizer_prefix = "optimizer.";

// ---- Config <-> JSON: {"class_name": type, "config": {fields}, "layers" or "learning_rate": children}

// A whole number as JSON writes an integer ("units": 3, not 3.0).
Json number_json(double d) {
    if (d == std::floor(d) && std::abs(d) <= 9007199254740992.0) return Json(static_cast<std::int64_t>(d));
    return Json(d);
}

Json to_json(const Config& config) {
    Json fields = Json::object();
    for (const auto& [name, value] : config.fields) {
        if (const auto* d = std::get_if<double>(&value)) {
            fields[name] = number_json(*d);
        } else if (const auto* list = std::get_if<std::vector<double>>(&value)) {
            Json numbers = Json::array();
            for (const double v : *list) numbers.push_back(number_json(v));
            fields[name] = numbers;
        } else {
            std::visit([&, &name = name](const auto& v) { fields[name] = v; }, value);
        }
    }
    Json out = {{"class_name", config.type}, {"config", fields}};
    if (!config.children.empty()) {
        Json children = Json::array();
        for (const Config& child : config.children) children.push_back(to_json(child));
        out["children"] = children;
    }
    return out;
}

Config from_json(const Json& json, const std::string& where) {
    if (!json.is_object() || !json.contains("class_name") || !json["class_name"].is_string())
        throw std::invalid_argument(where + ": not a config (an object with a text 'class_name')");
    Config config(json["class_name"].get<std::string>());
    config.where = where;
    if (json.contains("config")) {
        const Json& fields = json["config"];
        if (!fields.is_object()) throw std::invalid_argument(where + " (" + config.type + "): 'config' must be an object");
        for (const auto& [name, value] : fields.items()) {
            if (value.is_boolean()) config.set(name, value.get<bool>());
            else if (value.is_number()) config.set(name, Config::Value(value.get<double>()));
            else if (value.is_string()) config.set(name, value.get<std::string>());
            else if (value.is_array() && std::all_of(value.begin(), value.end(), [](const Json& v) { return v.is_number(); }))
                config.set(name, value.get<std::vector<double>>());
            else config.fail(name, "must be a flag, a number, a text or a list of numbers");
        }
    }
    if (json.contains("children")) {
        if (!json["children"].is_array()) throw std::invalid_argument(where + " (" + config.type + "): 'children' must be a list");
        for (const Json& child : json["children"]) config.children.push_back(from_json(child, where));
    }
    return config;
}

// ---- layers

// [l1, l2]; none when the field is absent.
Regularizer regularizer(const Config& config, std::string_view field) {
    for (const auto& [name, value] : config.fields) {
        if (name != field) continue;
        const auto* pair = std::get_if<std::vector<double>>(&value);
        const auto penalty = [](double d) { return std::isfinite(d) && d >= 0.0 && d <= 3.4e38; };
        if (!pair || pair->size() != 2 || !penalty((*pair)[0]) || !penalty((*pair)[1]))
            config.fail(field, "must be [l1, l2], two numbers >= 0");
        return {static_cast<float>((*pair)[0]), static_cast<float>((*pair)[1])};
    }
    return {};
}

Size2D size2d(const Config& config, std::string_view field, std::int64_t minimum) {
    const auto values = config.integers(field, minimum);
    if (values.size() != 2) config.fail(field, "must be [height, width]");
    return {values[0], values[1]};
}

Shape shape_field(const Config& config, std::string_view field) {
    const auto dims = config.integers(field, 1);
    if (dims.empty() || dims.size() >= static_cast<std::size_t>(Shape::max_rank))
        config.fail(field, "must hold 1 to " + std::to_string(Shape::max_rank - 1) + " dimensions");
    return Shape(std::span<const std::int64_t>(dims));
}

// A text field through the parser of its names (parse_activation...), whose error then names the field.
template <class Parse>
auto parsed(const Config& config, std::string_view field, Parse parse) {
    const std::string& name = config.text(field);
    try {
        return parse(name);
    } catch (const std::invalid_argument& error) {
        config.fail(field, error.what());
    }
}

float rate_field(const Config& config, std::string_view field) {
    const float rate = config.finite_float(field);
    if (!(rate >= 0.0f && rate < 1.0f)) config.fail(field, "must be in [0, 1)");
    return rate;
}

// The fields Dense and the convolutions share: initializers, bias, slope, regularizers.
template <class Options>
Options weight_layer_options(const Config& c) {
    Options options;
    options.kernel_initializer = parsed(c, "kernel_initializer", parse_initializer);
    options.bias_initializer = parsed(c, "bias_initializer", parse_initializer);
    options.use_bias = c.flag("use_bias");
    options.negative_slope = c.finite_float("negative_slope");
    options.kernel_regularizer = regularizer(c, "kernel_regularizer");
    options.bias_regularizer = regularizer(c, "bias_regularizer");
    options.activity_regularizer = regularizer(c, "activity_regularizer");
    return options;
}

Layer dense_from(const Config& c) {
    const auto options = weight_layer_options<DenseOptions>(c);
    return Dense(c.integer("units", 1), parsed(c, "activation", parse_activation), options);
}

Layer convolution_from(const Config& c) {
    auto options = weight_layer_options<Conv2DOptions>(c);
    options.strides = size2d(c, "strides", 1);
    options.padding = parsed(c, "padding", parse_padding);
    const std::int64_t filters = c.integer("filters", 1);
    const Size2D kernel = size2d(c, "kernel_size", 1);
    const Activation activation = parsed(c, "activation", parse_activation);
    if (c.type == "Conv2DTranspose") return Conv2DTranspose(filters, kernel, activation, options);
    return Conv2D(filters, kernel, activation, options);
}

Layer sequential_from(const Config& c);

// Each layer type a file may name, with what makes it.
const std::map<std::string, Layer (*)(const Config&), std::less<>>& layer_makers() {
    static const std::map<std::string, Layer (*)(const Config&), std::less<>> makers = {
        {"Activation",
         [](const Config& c) -> Layer { return ActivationLayer(parsed(c, "activation", parse_activation), c.finite_float("negative_slope")); }},
        {"Conv2D", convolution_from},
        {"Conv2DTranspose", convolution_from},
        {"Dense", dense_from},
        {"Dropout", [](const Config& c) -> Layer { return Dropout(rate_field(c, "rate")); }},
        {"Flatten", [](const Config&) -> Layer { return Flatten(); }},
        {"GaussianNoise",
         [](const Config& c) -> Layer {
             const float stddev = c.finite_float("stddev");
             if (!(stddev >= 0.0f)) c.fail("stddev", "must be >= 0");
             return GaussianNoise(stddev);
         }},
        {"InputLayer", [](const Config& c) -> Layer { return Input(shape_field(c, "shape")); }},
        {"MaxPooling2D",
         [](const Config& c) -> Layer {
             return MaxPooling2D(size2d(c, "pool_size", 1), {.strides = size2d(c, "strides", 1), .padding = parsed(c, "padding", parse_padding)});
         }},
        {"Reshape", [](const Config& c) -> Layer { return Reshape(c.integers("target_shape", -1)); }},
        {"SaltAndPepper", [](const Config& c) -> Layer { return SaltAndPepper(rate_field(c, "rate")); }},
        {"Sampling", [](const Config& c) -> Layer { return Sampling(c.integer("latent_dim", 1), {.beta = c.finite_float("beta")}); }},
        {"Sequential", sequential_from},
        {"UpSampling2D", [](const Config& c) -> Layer { return UpSampling2D(size2d(c, "size", 1)); }},
    };
    return makers;
}

// The configs of a Sequential's children know their names only once their places are known: "layer
// 'autoencoder.encoder.1'", as the weight names and get_layer call them.
Layer sequential_from(const Config& c) {
    const std::string name = c.text("name");
    std::vector<Layer> layers;
    std::size_t position = 0;
    const std::string prefix = c.where.rfind("layer '", 0) == 0 ? c.where.substr(7, c.where.size() - 8) : std::string();
    for (std::size_t i = 0; i < c.children.size(); ++i) {
        Config child = c.children[i];
        std::string child_name;
        if (child.type == "InputLayer") child_name = "input";
        else if (child.type == "Sequential" && child.has("name") && !child.text("name").empty()) child_name = child.text("name");
        else child_name = std::to_string(position);
        if (child.type != "InputLayer") ++position;
        const std::string path = prefix.empty() ? (name.empty() ? child_name : name + "." + child_name)
                                                : prefix + "." + child_name;
        child.where = "layer '" + path + "'";
        layers.push_back(layer_from_config(child));
    }
    // Made without its Input layer, which is put back after: a model that knows its input shape
    // builds at construction, and load_model builds layer by layer within the file's values
    // (build_within) before anything allocates.
    std::optional<Layer> input;
    if (!layers.empty() && layers.front().module().type_name() == "InputLayer") {
        input = layers.front();
        layers.erase(layers.begin());
    }
    Sequential model(std::move(layers), name);
    SequentialModule& m = model.sequential_module();
    if (input) {
        m.layers.insert(m.layers.begin(), *input);
        m.input_shape = input->module().output_shape();
    }
    if (c.has("input_shape") && m.input_shape.rank() == 0) m.input_shape = shape_field(c, "input_shape");
    return model;
}

}  // namespace

Layer layer_from_config(const Config& config) {
    const auto& makers = layer_makers();
    const auto maker = makers.find(config.type);
    if (maker == makers.end()) {
        std::string known;
        for (const auto& [type, make] : makers) known += (known.empty() ? "" : ", ") + type;
        throw std::invalid_argument((config.where.empty() ? "a layer" : config.where) + ": unknown layer type '" +
                                    config.type + "' (this version of smallnet makes " + known + ")");
    }
    Layer layer;
    try {
        layer = maker->second(config);
    } catch (const std::invalid_argument& error) {
        // The layers' own constructors check their arguments too (a pool size of 0): say which layer.
        const std::string what = error.what();
        if (!config.where.empty() && what.find(config.where) == std::string::npos)
            throw std::invalid_argument(config.where + " (" + config.type + "): " + what);
        throw;
    }
    if (config.has("trainable")) layer.set_trainable(config.flag("trainable"));
    return layer;
}

std::unique_ptr<Optimizer> optimizer_from_config(const Config& c) {
    LearningRate rate = 1e-3f;
    if (!c.children.empty()) {
        const Config& s = c.children.front();
        if (s.type == "ExponentialDecay")
            rate = ExponentialDecay(s.number("initial_learning_rate"), s.integer("decay_steps", 1), s.number("decay_rate"),
                                    s.flag("staircase"));
        else if (s.type == "CosineDecay")
            rate = CosineDecay(s.number("initial_learning_rate"), s.integer("decay_steps", 1), s.number("alpha"));
        else
            throw std::invalid_argument(c.where + " (" + c.type + "): unknown learning-rate schedule '" + s.type +
                                        "' (known: ExponentialDecay, CosineDecay)");
    } else {
        rate = c.finite_float("learning_rate");
    }
    if (c.type == "Adam")
        return std::make_unique<Adam>(AdamOptions{rate, c.finite_float("beta1"), c.finite_float("beta2"), c.finite_float("epsilon")});
    if (c.type == "AdamW")
        return std::make_unique<AdamW>(AdamWOptions{rate, c.finite_float("beta1"), c.finite_float("beta2"),
                                                    c.finite_float("epsilon"), c.finite_float("weight_decay")});
    if (c.type == "SGD") return std::make_unique<SGD>(SgdOptions{rate, c.finite_float("momentum"), c.flag("nesterov")});
    throw std::invalid_argument(c.where + ": unknown optimizer '" + c.type + "' (known: Adam, AdamW, SGD)");
}

void Sequential::save(const std::filesystem::path& path) const {
    const SequentialModule& m = sequential_module();
    if (!built()) throw std::logic_error("save: model '" + name() + "' is not built yet (build or fit it first)");
    Json document = {{"format_version", model_file_format_version}, {"model", to_json(m.config())}};
    NamedTensors tensors;
    for (const auto& p : parameters()) tensors.emplace_back(p.name, p.variable->value());
    if (m.optimizer) {
        document["compile"] = {
            // "none": compiled with the optimizer alone, for a hand-written loop.
            {"loss", m.custom_loss ? std::string("custom") : m.loss ? std::string(loss_name(*m.loss)) : std::string("none")},
            {"reduction", m.compile_options.reduction == Reduction::mean ? "mean" : "sum_over_features"},
            {"metrics", m.compile_options.metrics},
            {"precision", std::string(precision_name(m.compile_options.precision))},
            {"optimizer", to_json(m.optimizer->config())},
            {"optimizer_iterations", m.optimizer->iterations()},
        };
        // A layer frozen or unfrozen since the last fit: the next fit starts the optimizer afresh (as
        // after Keras' recompile), so its state is of no use.
        const bool state_current = m.store && m.store->holds(parameters());
        if (!state_current) document["compile"]["optimizer_iterations"] = 0;
        if (state_current)
            for (const auto& [state_name, tensor] : m.optimizer->state()) tensors.emplace_back(optimizer_prefix + state_name, tensor);
    }
    Json epochs = Json::array();
    for (const EpochLogs& logs : m.history.epochs) {
        Json entry = {{"epoch", logs.epoch}, {"loss", logs.loss}, {"seconds", logs.seconds}};
        if (logs.val_loss) entry["val_loss"] = *logs.val_loss;
        Json values = Json::array();
        for (const auto& [value_name, value] : logs.values) values.push_back(Json::array({value_name, value}));
        entry["values"] = values;
        epochs.push_back(entry);
    }
    document["history"] = epochs;
    document["training"] = {{"seed", m.history.seed}, {"batch_size", m.history.batch_size}};
    save_safetensors(path, tensors, {{"format", "pt"}, {"framework", "smallnet"}, {metadata_key, document.dump()}});
}

namespace {

Loss loss_from(const Json& compile, const std::filesystem::path& path) {
    try {
        return parse_loss(compile.at("loss").get<std::string>());
    } catch (const std::invalid_argument& error) {
        throw FileError(path, std::string("compile: field 'loss': ") + error.what());
    }
}

// The history's epochs; throws Json's exceptions or FileError for what does not fit.
History history_from(const Json& epochs, const std::filesystem::path& path) {
    History history;
    if (!epochs.is_array()) throw FileError(path, "'history' must be a list of epochs");
    for (const Json& entry : epochs) {
        EpochLogs logs;
        logs.epoch = entry.at("epoch").get<int>();
        // Increasing from 1, with gaps where a fit started at an initial_epoch the model had not trained.
        const int last = history.epochs.empty() ? 0 : history.epochs.back().epoch;
        if (logs.epoch <= last)
            throw FileError(path, "history: epoch " + std::to_string(logs.epoch) + " comes after epoch " + std::to_string(last));
        logs.loss = entry.at("loss").get<double>();
        logs.seconds = entry.at("seconds").get<double>();
        if (entry.contains("val_loss")) logs.val_loss = entry["val_loss"].get<double>();
        for (const Json& value : entry.at("values"))
            logs.values.emplace_back(value.at(0).get<std::string>(), value.at(1).get<double>());
        history.epochs.push_back(std::move(logs));
    }
    return history;
}

}  // namespace

namespace {

// The weights a layer of `config` makes for samples of `input` (an estimate in double, which cannot
// overflow): Dense, the convolutions and Sampling; the other layers have none.
double weights_of(const Config& config, const Shape& input) {
    const double features = input.rank() == 0 ? 0.0 : static_cast<double>(input[input.rank() - 1]);
    const auto bias = [&](const char* count) { return config.flag("use_bias") ? static_cast<double>(config.integer(count, 1)) : 0.0; };
    if (config.type == "Dense") return features * static_cast<double>(config.integer("units", 1)) + bias("units");
    if (config.type == "Conv2D" || config.type == "Conv2DTranspose") {
        const auto kernel = config.integers("kernel_size", 1);
        double product = features * static_cast<double>(config.integer("filters", 1));
        for (const std::int64_t k : kernel) product *= static_cast<double>(k);
        return product + bias("filters");
    }
    if (config.type == "Sampling") {
        const double latent = static_cast<double>(config.integer("latent_dim", 1));
        return 2.0 * (features * latent + latent);
    }
    return 0.0;
}

// Builds `module`'s layers one by one for samples of `shape`, each only once its weights are known to
// fit in what is left of `budget` (the values the file holds): a corrupt config ("units": 1e9) is
// refused before it allocates. Returns the output shape.
Shape build_within(Module& module, Shape shape, const std::string& where, double& budget, Generator& generator) {
    if (auto* model = dynamic_cast<SequentialModule*>(&module)) {
        for (std::size_t i = 0; i < model->layers.size(); ++i) {
            const std::string child = where + "." + model->child_name(i);
            shape = build_within(model->layers[i].module(), shape, child, budget, generator);
        }
        return shape;
    }
    const double weights = weights_of(module.config(), shape);
    if (weights > budget)
        throw std::invalid_argument("layer '" + where + "' (" + module.type_name() + ") would hold " +
                                    std::to_string(static_cast<long long>(std::min(weights, 9e18))) +
                                    " weights for samples of shape " + batch_shape_string(shape) + ", more than the " +
                                    std::to_string(static_cast<long long>(budget)) + " values the file has left");
    budget -= weights;
    return module.build(shape, "the layer before", generator);
}

}  // namespace

Sequential model_from_contents(const SafetensorsContents& contents, const std::filesystem::path& path,
                               const LoadModelOptions& options) {
    const auto text = contents.metadata.find(metadata_key);
    if (text == contents.metadata.end())
        throw FileError(path, std::string("not a whole-model file: its metadata has no '") + metadata_key +
                                  "' (a weights file? load it with build and load_weights)");
    Json document;
    try {
        document = Json::parse(text->second);
    } catch (const Json::parse_error& error) {
        throw FileError(path, std::string("metadata '") + metadata_key + "' is not valid JSON: " + error.what());
    }
    try {
        if (!document.is_object()) throw FileError(path, std::string("metadata '") + metadata_key + "' is not a JSON object");
        const Json& version = document.at("format_version");
        if (!version.is_number_integer() || version.get<std::int64_t>() < 1)
            throw FileError(path, "format_version must be a whole number >= 1");
        if (version.get<std::int64_t>() > model_file_format_version)
            throw FileError(path, "written in model format version " + std::to_string(version.get<std::int64_t>()) +
                                      " by a newer smallnet; this one reads versions up to " +
                                      std::to_string(model_file_format_version));
        Config config = from_json(document.at("model"), "the model");
        if (config.type != "Sequential") throw FileError(path, "the model is a '" + config.type + "', not a Sequential");
        Layer layer = layer_from_config(config);
        Sequential model(std::dynamic_pointer_cast<SequentialModule>(layer.shared_module()));
        if (model.input_shape().rank() == 0)
            throw FileError(path, "the model has no input shape (neither an Input layer nor 'input_shape')");
        double budget = 0;
        for (const auto& [name, tensor] : contents.tensors) budget += static_cast<double>(tensor.numel());
        Generator unused(0);
        build_within(model.sequential_module(), model.input_shape(), model.name().empty() ? "model" : model.name(), budget,
                     unused);
        model.build(model.input_shape());  // the Sequentials' shapes; the layers are built already

        // The weights, checked as load_weights checks them; the optimizer's tensors apart.
        SafetensorsContents weights;
        Optimizer::State state;
        for (const auto& [name, tensor] : contents.tensors) {
            if (name.rfind(optimizer_prefix, 0) == 0) state.emplace_back(name.substr(std::string(optimizer_prefix).size()), tensor);
            else weights.tensors.emplace_back(name, tensor);
        }
        load_named_weights(model, weights.tensors, "the file", "load_model");

        SequentialModule& m = model.sequential_module();
        if (document.contains("compile")) {
            const Json& compile = document["compile"];
            Config optimizer_config = from_json(compile.at("optimizer"), "the optimizer");
            std::unique_ptr<Optimizer> optimizer = optimizer_from_config(optimizer_config);
            CompileOptions compile_options;
            const std::string reduction = compile.at("reduction").get<std::string>();
            if (reduction != "mean" && reduction != "sum_over_features")
                throw FileError(path, "compile: field 'reduction' must be mean or sum_over_features, got '" + reduction + "'");
            compile_options.reduction = reduction == "mean" ? Reduction::mean : Reduction::sum_over_features;
            compile_options.metrics = compile.at("metrics").get<std::vector<std::string>>();
            // Files written before the field are fp32's.
            const std::string precision = compile.value("precision", std::string("fp32"));
            try {
                compile_options.precision = parse_precision(precision);
                m.check_precision(compile_options.precision, model.name());  // a layer that cannot run in it
            } catch (const std::invalid_argument& error) {
                throw FileError(path, std::string("compile: field 'precision': ") + error.what());
            }
            if (compile.at("loss").get<std::string>() == "none") {
                model.compile(*optimizer);
                m.compile_options.precision = compile_options.precision;
            } else if (compile.at("loss").get<std::string>() == "custom") {
                if (!options.custom_loss)
                    throw FileError(path, "the model was compiled with a loss function of the user's, which a file cannot "
                                          "hold: pass it, load_model(path, {.custom_loss = f})");
                model.compile(*optimizer, options.custom_loss, compile_options);
            } else {
                model.compile(*optimizer, loss_from(compile, path), compile_options);
            }
            // fit steps the store's trainable buffer: make it now, so that the state has its buffer.
            keep_adopted(m.store, model.parameters(), *m.optimizer);
            const std::int64_t iterations = compile.at("optimizer_iterations").get<std::int64_t>();
            for (const auto& [name, tensor] : state)
                if (tensor.numel() != m.store->trainable_values().numel())
                    throw FileError(path, "tensor 'optimizer." + name + "' holds " + std::to_string(tensor.numel()) +
                                              " values, but the model has " +
                                              std::to_string(m.store->trainable_values().numel()) + " trainable weights");
            m.optimizer->set_state(iterations, state);
        } else if (!state.empty()) {
            throw FileError(path, "tensor 'optimizer." + state.front().first + "' is there, but the model is not compiled");
        }
        m.history = history_from(document.value("history", Json::array()), path);
        if (document.contains("training")) {
            m.history.seed = document["training"].at("seed").get<std::uint64_t>();
            m.history.batch_size = document["training"].at("batch_size").get<std::int64_t>();
        }
        return model;
    } catch (const FileError&) {
        throw;
    } catch (const std::runtime_error& error) {  // load_named_weights: tensors that do not fit the layers
        throw FileError(path, error.what());
    } catch (const std::invalid_argument& error) {
        throw FileError(path, error.what());
    } catch (const std::logic_error& error) {
        throw FileError(path, error.what());
    } catch (const Json::exception& error) {
        throw FileError(path, std::string("metadata '") + metadata_key + "': " + error.what());
    }
}

Sequential load_model(const std::filesystem::path& path, const LoadModelOptions& options) {
    return model_from_contents(read_safetensors(path), path, options);
}

}  // namespace smallnet
