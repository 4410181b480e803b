#include "nn/sequential.hpp"

#include <cstdio>
#include <stdexcept>

#include "nn/parameter_store.hpp"
#include "nn/simple_layers.hpp"

namespace smallnet {

namespace {
bool is_input(const Layer& layer) { return layer.module().type_name() == "InputLayer"; }
}  // namespace

SequentialModule::SequentialModule(std::vector<Layer> layers_, std::string name_)
    : layers(std::move(layers_)), name(std::move(name_)) {
    for (std::size_t i = 0; i < layers.size(); ++i) {
        if (!layers[i].shared_module()) throw std::invalid_argument("Sequential: layer " + std::to_string(i) + " is empty");
        if (is_input(layers[i])) {
            if (i != 0) throw std::invalid_argument("Sequential: an Input layer must come first");
            input_shape = layers[i].module().output_shape();
        }
    }
}

std::string SequentialModule::child_name(std::size_t index) const {
    const Module& child = layers[index].module();
    if (is_input(layers[index])) return "input";
    if (const auto* nested = dynamic_cast<const SequentialModule*>(&child); nested && !nested->name.empty())
        return nested->name;
    std::size_t position = 0;
    for (std::size_t i = 0; i < index; ++i) position += !is_input(layers[i]);
    return std::to_string(position);
}

namespace {
std::string join(const std::string& prefix, const std::string& name) { return prefix.empty() ? name : prefix + "." + name; }
}  // namespace

Shape SequentialModule::build(const Shape& shape_in, const std::string& previous, Generator& outer_generator) {
    if (input_shape.rank() != 0 && shape_in != input_shape)
        throw std::invalid_argument((name.empty() ? "Sequential" : "Sequential '" + name + "'") + " takes samples of shape " +
                                    batch_shape_string(input_shape) +
                                    ", but " + previous + " gives it " + batch_shape_string(shape_in));
    const bool first_build = output_shape_.rank() == 0;
    // A model with a seed of its own makes its weights from it, wherever it is built.
    Generator own_generator(seed.value_or(0));
    Generator& generator = seed && first_build ? own_generator : outer_generator;
    input_shape = shape_in;
    Shape shape = shape_in;
    std::string feeding = previous;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        Module& child = layers[i].module();
        const std::string child_label = join(name, child_name(i));
        try {
            shape = child.build(shape, feeding, generator);
        } catch (const std::invalid_argument& error) {
            throw std::invalid_argument("layer '" + child_label + "' (" + child.type_name() + "): " + error.what());
        }
        feeding = "'" + child_label + "' (" + child.type_name() + ", output " + batch_shape_string(shape) + ")";
    }
    output_shape_ = shape;
    if (first_build) build_generator = generator;
    return shape;
}

Var SequentialModule::forward(const Var& x, const ForwardContext& context) {
    Var y = x;
    for (Layer& layer : layers) y = layer.module().forward(y, context);
    return y;
}

Var SequentialModule::forward_with_loss(const Var& x, Loss loss, const Tensor& target, const ForwardContext& context) {
    if (layers.empty()) return compute_loss(loss, x, target);
    Var y = x;
    for (std::size_t i = 0; i + 1 < layers.size(); ++i) y = layers[i].module().forward(y, context);
    return layers.back().module().forward_with_loss(y, loss, target, context);
}

void SequentialModule::predict_into(const Tensor& x, Tensor& out, const ForwardContext& context) {
    if (layers.empty()) return out.copy_from(x);
    Var y(x);
    for (std::size_t i = 0; i + 1 < layers.size(); ++i) y = layers[i].module().forward(y, context);
    layers.back().module().predict_into(y.value(), out, context);
}

void SequentialModule::collect_parameters(const std::string& prefix, std::vector<NamedParameter>& out) {
    for (std::size_t i = 0; i < layers.size(); ++i) {
        const std::size_t first = out.size();
        layers[i].module().collect_parameters(join(prefix, child_name(i)), out);
        if (!layers[i].module().trainable)
            for (std::size_t p = first; p < out.size(); ++p) out[p].trainable = false;
    }
}

void SequentialModule::collect_summary(const std::string& prefix, std::vector<SummaryRow>& out) const {
    for (std::size_t i = 0; i < layers.size(); ++i) {
        if (is_input(layers[i])) continue;
        layers[i].module().collect_summary(join(prefix, child_name(i)), out);
    }
}

void SequentialModule::check_precision(Precision precision, const std::string& path) const {
    for (std::size_t i = 0; i < layers.size(); ++i)
        if (!is_input(layers[i])) layers[i].module().check_precision(precision, join(path, child_name(i)));
}

namespace {
// The sample shape a model knows before seeing data: its Input's, or that of a built first model.
Shape known_input_shape(const SequentialModule& m) {
    if (m.input_shape.rank() != 0) return m.input_shape;
    if (m.layers.empty()) return {};
    const auto* first = dynamic_cast<const SequentialModule*>(&m.layers.front().module());
    return first && first->output_shape_.rank() != 0 ? first->input_shape : Shape{};
}

// Where a model without a seed of its own starts drawing: after the last model among its layers that
// is already built (an encoder built from its seed), so that its other layers (the decoder) go on
// with that seed's stream instead of drawing the same numbers again; else at seed 0.
Generator stream_after_built_models(const SequentialModule& m) {
    Generator stream(0);
    for (const Layer& layer : m.layers)
        if (const auto* nested = dynamic_cast<const SequentialModule*>(&layer.module()); nested && nested->output_shape_.rank() != 0)
            stream = nested->build_generator;
    return stream;
}
}  // namespace

Sequential::Sequential(std::vector<Layer> layers, std::string name, std::optional<std::uint64_t> seed)
    : Layer(std::make_shared<SequentialModule>(std::move(layers), std::move(name))) {
    sequential_module().seed = seed;
    // As Keras: a model that knows its input is built at once, so summary, load_weights and
    // set_weights work on it, and a layer that does not fit is reported here.
    if (const Shape shape = known_input_shape(sequential_module()); shape.rank() != 0) build(shape);
}

Sequential::Sequential(std::shared_ptr<SequentialModule> module) : Layer(std::move(module)) {
    if (!shared_module()) throw std::invalid_argument("Sequential: no model given");
}

Config SequentialModule::config() const {
    Config config("Sequential");
    config.set("name", name);
    if (input_shape.rank() != 0) config.set("input_shape", std::vector<double>(input_shape.begin(), input_shape.end()));
    for (const Layer& layer : layers) {
        config.children.push_back(layer.module().config());
        config.children.back().set("trainable", layer.module().trainable);
    }
    return config;
}

namespace {
// The layer named `path` ("encoder.0") below `model`, or null; `names` collects every name seen.
std::shared_ptr<Module> find_layer(const SequentialModule& model, std::string_view path, const std::string& prefix,
                                   std::string& names) {
    for (std::size_t i = 0; i < model.layers.size(); ++i) {
        const std::string name = join(prefix, model.child_name(i));
        names += (names.empty() ? "" : ", ") + name;
        if (name == path) return model.layers[i].shared_module();
        if (const auto* nested = dynamic_cast<const SequentialModule*>(&model.layers[i].module()))
            if (auto found = find_layer(*nested, path, name, names)) return found;
    }
    return nullptr;
}
}  // namespace

Layer Sequential::get_layer(std::string_view name) const {
    std::string names;
    if (auto found = find_layer(sequential_module(), name, "", names)) return Layer(std::move(found));
    throw std::invalid_argument("get_layer: model '" + this->name() + "' has no layer named '" + std::string(name) +
                                "' (its layers: " + names + ")");
}

Sequential Sequential::get_model(std::string_view name) const {
    auto module = std::dynamic_pointer_cast<SequentialModule>(get_layer(name).shared_module());
    if (!module)
        throw std::invalid_argument("get_model: layer '" + std::string(name) + "' of model '" + this->name() +
                                    "' is a " + get_layer(name).module().type_name() + ", not a Sequential");
    return Sequential(std::move(module));
}

const History& Sequential::history() const { return sequential_module().history; }

SequentialModule& Sequential::sequential_module() const { return static_cast<SequentialModule&>(module()); }

void Sequential::add(Layer layer) {
    auto& m = sequential_module();
    if (is_input(layer)) {
        if (!m.layers.empty()) throw std::invalid_argument("Sequential: an Input layer must come first");
        m.input_shape = layer.module().output_shape();
    }
    m.layers.push_back(std::move(layer));
    if (!built()) {
        if (const Shape shape = known_input_shape(m); shape.rank() != 0) build(shape);
        return;
    }
    m.build_last_layer();  // built: the new layer is built as it comes
}

void SequentialModule::build_last_layer() {
    // Drawing on from where the build stopped, so that adding layers one by one gives the weights of
    // constructing the model with all of them.
    const std::size_t index = layers.size() - 1;
    Module& added = layers[index].module();
    const Module& before = layers[index - 1].module();
    const std::string feeding = "'" + join(name, child_name(index - 1)) + "' (" + before.type_name() + ", output " +
                                batch_shape_string(output_shape_) + ")";
    try {
        output_shape_ = added.build(output_shape_, feeding, build_generator);
    } catch (const std::invalid_argument& error) {
        const std::string message = "layer '" + join(name, child_name(index)) + "' (" + added.type_name() + "): " + error.what();
        layers.pop_back();  // the model stays as it was
        throw std::invalid_argument(message);
    }
}

const std::string& Sequential::name() const { return sequential_module().name; }
bool Sequential::built() const { return sequential_module().output_shape_.rank() != 0; }
Shape Sequential::input_shape() const { return sequential_module().input_shape; }
Shape Sequential::output_shape() const { return sequential_module().output_shape_; }
std::int64_t Sequential::input_size() const {
    const Shape& shape = sequential_module().input_shape;
    return shape.rank() == 0 ? 0 : shape.numel();
}
std::int64_t Sequential::output_size() const { return sequential_module().output_size(); }

std::uint64_t Sequential::seed() const { return sequential_module().seed.value_or(0); }

void Sequential::build(const Shape& input_shape) {
    SequentialModule& m = sequential_module();
    if (built()) {  // only checks the shape
        Generator unused(0);
        m.build(input_shape, "the data", unused);
        return;
    }
    Generator generator = m.seed ? Generator(*m.seed) : stream_after_built_models(m);
    m.build(input_shape, "the data", generator);
    // A stream of its own, apart from the initialisers' (fit seeds its own for its layers' noise).
    m.call_generator = Generator(seed() ^ 0x9E3779B97F4A7C15ull);
}

void Sequential::build(const Shape& input_shape, std::uint64_t seed) {
    SequentialModule& m = sequential_module();
    if (built() && seed != this->seed())
        throw std::logic_error("build: " + (m.name.empty() ? std::string("the model") : "model '" + m.name + "'") +
                               " is already built, its weights made " +
                               (m.seed ? "from seed " + std::to_string(*m.seed)
                                       : std::string("without a seed of its own (from seed 0, or going on from a model it holds)")) +
                               "; seed " + std::to_string(seed) +
                               " would not change them. A model that starts with Input (or with a built model) is "
                               "built when constructed: give it the seed there, Sequential(layers, name, " +
                               std::to_string(seed) + ")");
    if (!built()) m.seed = seed;
    build(input_shape);
}

void Sequential::compile(const Optimizer& optimizer, Loss loss, CompileOptions options) {
    auto& m = sequential_module();
    m.check_precision(options.precision, name());
    m.optimizer = optimizer.clone();
    m.loss = loss;
    m.custom_loss = nullptr;
    m.compile_options = options;
    m.metrics.clear();
    for (const std::string& name : options.metrics) m.metrics.push_back(parse_metric(name, loss));
}

void Sequential::compile(const Optimizer& optimizer, CustomLoss loss, CompileOptions options) {
    if (!loss) throw std::invalid_argument("compile: the custom loss is an empty function");
    std::vector<Metric> metrics;
    for (const std::string& name : options.metrics) {
        // "accuracy" means the kind of the loss's targets, which a function does not say.
        if (name == "accuracy" || name == "acc")
            throw std::invalid_argument("compile: metric '" + name + "' with a custom loss: name binary_accuracy, "
                                        "categorical_accuracy or sparse_categorical_accuracy");
        metrics.push_back(parse_metric(name, Loss::mean_squared_error));
    }
    auto& m = sequential_module();
    m.check_precision(options.precision, name());
    m.optimizer = optimizer.clone();
    m.loss.reset();
    m.custom_loss = std::move(loss);
    m.compile_options = options;
    m.metrics = std::move(metrics);
}

Var Sequential::operator()(const Var& x, bool training) {
    return (*this)(x, training, sequential_module().call_generator);
}

Var Sequential::operator()(const Var& x, bool training, Generator& generator) {
    if (!built()) {
        if (x.shape().rank() < 2) throw_shape_error("Sequential", x.shape(), "the input must be a batch: [batch, ...]");
        build(Shape(std::span<const std::int64_t>(x.shape().begin() + 1, x.shape().end())));
    }
    // (When `generator` is the model's own, build has just re-seeded it in place.)
    SequentialModule& m = sequential_module();
    m.call_losses.clear();
    // Training computes a loss: the layers add their terms (and Sampling samples), for losses().
    ForwardContext context{training, training ? &generator : nullptr, training ? &m.call_losses : nullptr,
                           m.compile_options.precision};
    return m.forward(x, context);
}

std::vector<NamedParameter> Sequential::parameters() const {
    std::vector<NamedParameter> out;
    sequential_module().collect_parameters("", out);
    if (!sequential_module().trainable)
        for (auto& p : out) p.trainable = false;
    return out;
}

Tensor Sequential::weights() const {
    auto& m = sequential_module();
    if (m.store) return m.store->values();
    const auto params = parameters();
    std::int64_t total = 0;
    for (const auto& p : params) total += p.variable->value().numel();
    Tensor flat(Shape{total});
    std::int64_t offset = 0;
    for (const auto& p : params) {
        const Tensor& v = p.variable->value();
        flat.rows(offset, offset + v.numel()).copy_from(v.reshape({v.numel()}));
        offset += v.numel();
    }
    return flat;
}

std::string Sequential::summary() const {
    std::vector<SummaryRow> rows;
    sequential_module().collect_summary(name(), rows);
    std::int64_t total = 0, trainable = 0;
    for (const auto& r : rows) total += r.parameters;
    for (const auto& p : parameters())
        if (p.trainable) trainable += p.variable->value().numel();
    std::string text;
    char line[256];
    const std::string rule(72, '-');
    std::snprintf(line, sizeof line, "Model: \"%s\"\n", name().empty() ? "sequential" : name().c_str());
    text += line + rule + "\n";
    std::snprintf(line, sizeof line, "%-36s %-20s %14s\n", "Layer (type)", "Output Shape", "Param #");
    text += line + std::string(72, '=') + "\n";
    for (const auto& r : rows) {
        std::snprintf(line, sizeof line, "%-36s %-20s %14lld\n", r.layer.c_str(), r.output_shape.c_str(),
                      static_cast<long long>(r.parameters));
        text += line;
    }
    text += std::string(72, '=') + "\n";
    std::snprintf(line, sizeof line, "Total params: %lld (%.2f KB)\n", static_cast<long long>(total), total * 4.0 / 1024.0);
    text += line;
    std::snprintf(line, sizeof line, "Trainable params: %lld (%.2f KB)\n", static_cast<long long>(trainable),
                  trainable * 4.0 / 1024.0);
    text += line;
    std::snprintf(line, sizeof line, "Non-trainable params: %lld (%.2f KB)\n", static_cast<long long>(total - trainable),
                  (total - trainable) * 4.0 / 1024.0);
    text += line + rule + "\n";
    return text;
}

}  // namespace smallnet
