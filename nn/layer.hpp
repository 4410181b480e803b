#pragma once
// Layer: a handle to a shared building block of a model (Dense, an activation, Dropout, a nested
// Sequential...). Copies of a Layer share the same weights, so an encoder that is part of an
// autoencoder can be used on its own after training.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "autograd/var.hpp"
#include "nn/config.hpp"
#include "nn/loss_terms.hpp"
#include "nn/losses.hpp"
#include "tensor/precision.hpp"
#include "tensor/random.hpp"

namespace smallnet {

// What a layer's forward pass may depend on besides its input.
struct ForwardContext {
    bool training = false;           // Dropout and noise layers act only while training
    Generator* generator = nullptr;  // their random numbers (seeded by fit)
    // Where layers add terms to the loss (a KL divergence, a regularizer's penalty): set when the loss
    // is computed (fit, evaluate, a model called in training mode), null in predict, where nothing is added.
    LossTerms* loss_terms = nullptr;
    // Adds `term` under `name` when the loss is being computed; does nothing in inference.
    void add_loss(std::string_view name, const Var& term) const {
        if (loss_terms) loss_terms->add(name, term);
    }
    // What the layers' products multiply in (the model's CompileOptions::precision); the weights and
    // everything else stay fp32.
    Precision precision = Precision::fp32;
};

// A parameter of a model, named as in the weight files ("encoder.0.kernel").
struct NamedParameter {
    std::string name;
    Var* variable;
    bool trainable = true;  // false when its layer, or a model holding it, is frozen
};

// One row of Model::summary(): a layer, the shape of its output, its parameter count.
struct SummaryRow {
    std::string layer;  // "encoder.0 (Dense)"
    std::string output_shape;
    std::int64_t parameters;
};

// The interface every kind of layer implements.
//
// Shapes: a layer sees samples, each of a shape of its own (the batch axis excluded): [784] for a
// flat image, [28, 28, 1] for an image with its channels last (Keras' default). Tensors carry the
// batch first: [batch, 28, 28, 1].
class Module {
public:
    virtual ~Module() = default;
    // "Dense", "Conv2D", "Sequential", ...
    virtual std::string type_name() const = 0;
    // Prepares the layer for samples of `input_shape` and returns the shape of its output samples:
    // creates the parameters on first use; later, checks the shape still fits. `previous` names the
    // layer that feeds this one and its output ("'encoder.0' (Conv2D, output (None, 28, 28, 16))"),
    // so that a shape that does not fit is reported with both layers and both shapes.
    virtual Shape build(const Shape& input_shape, const std::string& previous, Generator& generator) = 0;
    virtual Var forward(const Var& x, const ForwardContext& context) = 0;
    // The loss of forward's output against `target`. Layers that can fold the loss into the pass that
    // makes their output (Dense with mse) override it; fit calls it on the model.
    virtual Var forward_with_loss(const Var& x, Loss loss, const Tensor& target, const ForwardContext& context);
    // forward's output for x, without a graph, written into `out` (rows of predict's result), so that
    // layers that can write there directly (Dense) leave nothing to copy.
    virtual void predict_into(const Tensor& x, Tensor& out, const ForwardContext& context);
    virtual void collect_parameters(const std::string& prefix, std::vector<NamedParameter>& out) { (void)prefix, (void)out; }
    virtual void collect_summary(const std::string& prefix, std::vector<SummaryRow>& out) const;
    // The shape of one output sample once built (rank 0 before).
    virtual Shape output_shape() const = 0;
    // Its element count (0 before the layer is built).
    std::int64_t output_size() const;
    // The layer's settings as a model file stores them (Model::save): layer_from_config (nn/model_file.hpp)
    // makes the same layer, unbuilt, from them. A layer type of the user's that does not override it
    // cannot be saved whole (save_weights still works): the default throws std::logic_error saying so.
    virtual Config config() const;

    // Throws std::invalid_argument, naming the layer by `path` ("autoencoder.encoder.0"), when its
    // products cannot run in `precision`; compile calls it on the model. Layers without products
    // accept any precision (the default).
    virtual void check_precision(Precision precision, const std::string& path) const { (void)precision, (void)path; }

    // Whether fit updates this layer's weights (all of them, a nested model's too); Keras' `trainable`.
    bool trainable = true;
};

// Keras' notation for a batch of samples of `sample_shape`: "(None, 14, 14, 16)".
std::string batch_shape_string(const Shape& sample_shape);

class Layer {
public:
    Layer() = default;
    explicit Layer(std::shared_ptr<Module> module) : module_(std::move(module)) {}

    Module& module() const { return *module_; }
    const std::shared_ptr<Module>& shared_module() const { return module_; }

    // Freezes (false) or unfreezes the layer, a whole model if it is one: fit leaves a frozen layer's
    // weights bitwise as they are and computes no gradient for them; every copy of this Layer (the
    // same weights) sees the change. It takes effect at the next fit, which then starts the
    // optimizer afresh, as Keras' recompile after setting `trainable` does.
    void set_trainable(bool trainable) { module_->trainable = trainable; }
    bool trainable() const { return module_->trainable; }

private:
    std::shared_ptr<Module> module_;
};

}  // namespace smallnet
