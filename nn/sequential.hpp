#pragma once
// Sequential: layers applied one after the other; it nests (an autoencoder made of an encoder and a
// decoder) and is the model users compile, fit, evaluate and predict with, as in Keras:
//
//   Sequential encoder({Input(784), Dense(128, "relu"), Dense(32, "relu")}, "encoder");
//   Sequential decoder({Dense(128, "relu"), Dense(784, "sigmoid")}, "decoder");
//   Sequential autoencoder({encoder, decoder}, "autoencoder");
//   autoencoder.compile(Adam(), "mse");
//   History history = autoencoder.fit(x_train, x_train, {.epochs = 5, .batch_size = 256,
//                                                        .validation_data = {x_test, x_test}});
//   Tensor codes = encoder.predict(x_test);  // the trained encoder alone, sharing the weights
//
// Building: a model is built (its weights made) as soon as it knows the shape of its samples: at
// construction when it starts with Input (the encoder above), or with a built model (the autoencoder,
// whose encoder knows its input); else by build(shape), or by the first fit, evaluate, predict or
// call, from the data's shape (the decoder, built by the autoencoder around it). Layers added to a
// built model are built as they come.
//
// Seeds: the weights come from the model's seed, given to the constructor or to build, whichever
// call builds it; fit's seed never changes them (it drives shuffling, Dropout, the noise layers and
// Sampling's draws). A model without a seed of its own goes on with the stream of the last model it
// holds that is already built (the autoencoder below makes its decoder from where the encoder's seed
// 7 stopped, as one model built from seed 7 would), else starts at seed 0; built inside another, it
// draws from the outer model's stream. A built model keeps its weights: build with another seed is
// refused (give the seed to the constructor of the model that starts with Input).
//
//   Sequential encoder({Input(784), Dense(32, "relu")}, "encoder", /*seed=*/7);  // built, from seed 7
//   Sequential autoencoder({encoder, Dense(784, "sigmoid")}, "autoencoder");      // built, seed 7 on
//
// A hand-written training loop, as a Keras GradientTape loop or a PyTorch one:
//
//   model.compile(Adam());                      // the optimizer alone: the loop computes the loss
//   Var output = model(Var(x), /*training=*/true);
//   Var loss = model.losses().total(compute_loss(Loss::mean_squared_error, output, y));  // + the layers' terms
//   loss.backward();
//   model.apply_gradients();                    // one optimizer step; the gradients are then cleared

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "nn/callbacks.hpp"
#include "nn/data.hpp"
#include "nn/history.hpp"
#include "nn/layer.hpp"
#include "nn/losses.hpp"
#include "nn/metrics.hpp"
#include "nn/optimizers.hpp"

namespace smallnet {

// Validation data for fit: inputs and targets.
struct ValidationData {
    ValidationData() = default;
    ValidationData(Data x, Data y) : x(std::move(x)), y(std::move(y)), present(true) {}
    Data x, y;
    bool present = false;
};

struct CompileOptions {
    Reduction reduction = Reduction::mean;  // see nn/losses.hpp
    // Reported beside the loss, as "accuracy" and "val_accuracy" (see nn/metrics.hpp): {"accuracy"}.
    std::vector<std::string> metrics{};
    // The Dense layers' products in training and inference (fit, evaluate, predict, calling the model):
    // bf16 rounds their operands to bf16 and sums in fp32 (tensor/precision.hpp), on AVX512_BF16, and
    // throws where the CPU lacks it; the master weights, the optimizer's state and the loss stay fp32.
    // The convolutions run in fp32 only: compile refuses bf16 for a model that has any, naming the layer,
    // rather than run them in fp32 unasked. Saved in model files (load_model restores it; a file without
    // it is fp32).
    Precision precision = Precision::fp32;
};

struct FitOptions {
    int epochs = 1;
    std::int64_t batch_size = 32;
    bool shuffle = true;                 // reshuffled every epoch from `seed`
    // The epochs already trained (Keras' initial_epoch): fit runs epochs initial_epoch + 1 to `epochs`,
    // numbered so, with the shuffled orders and the layers' random numbers those epochs have in one
    // run of `epochs` from the start: a model saved after epoch 2 and resumed with initial_epoch 2
    // ends bitwise as one trained 5 epochs straight (same data, seed and batch size).
    int initial_epoch = 0;
    ValidationData validation_data{};      // or:
    double validation_split = 0.0;       // the last fraction of x and y, held out (as Keras)
    std::vector<CallbackHandle> callbacks{};
    int verbose = 1;                     // 0 silent, 1 progress bar, 2 one line per epoch
    // Shuffling, Dropout, the noise layers and Sampling's draws (fit_layer_generator(seed) for the
    // layers); not the weights, which come from the model's seed (see Sequential above).
    std::uint64_t seed = 0;
    // How a batch is computed: as `row_blocks` blocks of rows (block k takes rows ceil(k n / K) to
    // ceil((k + 1) n / K) of a batch of n), each with its own random stream and its own gradient buffer,
    // two at a time on two threads, or spread over the processes of an MPI job (nn/distributed.hpp).
    // The step adds the blocks' gradients in a fixed binary tree, and the loss is the blocks' losses
    // weighted by their rows, so it is the batch's mean loss when the loss and the layers' terms are
    // means over the rows (every built-in loss; a weight regularizer's penalty is counted once). 1: in
    // one pass, its products split between the threads. The results are bitwise the same at any thread
    // count and any number of processes (up to row_blocks), but two values of row_blocks round
    // differently. 0 (the default) takes 2 for batches of 128 rows or more, except with a custom loss
    // (which need not be a mean over the rows), and 1 otherwise; and at least one per process.
    int row_blocks = 0;
    // In a program of several processes (nn/distributed.hpp): split each batch over them, as above
    // (validation too), so that all train one model; false: each trains on its own.
    bool distributed = true;
};

class SequentialModule;

class Sequential : public Layer {
public:
    // Builds the model now when it knows its input shape (see "Building" and "Seeds" above).
    explicit Sequential(std::vector<Layer> layers = {}, std::string name = "", std::optional<std::uint64_t> seed = {});

    void add(Layer layer);
    const std::string& name() const;
    // Creates the weights for samples of `input_shape` ([784], or [28, 28, 1] for images with their
    // channels last); fit and predict do it when needed. `seed` becomes the model's seed, which seeds
    // the initialisers. On a built model it only checks the shape, and std::logic_error when `seed` is
    // not the one it was built from (the weights would silently stay).
    void build(const Shape& input_shape);
    void build(const Shape& input_shape, std::uint64_t seed);
    void build(std::int64_t input_size) { build(Shape{input_size}); }
    void build(std::int64_t input_size, std::uint64_t seed) { build(Shape{input_size}, seed); }
    bool built() const;
    // The model's own seed: given to the constructor or to build, else 0.
    std::uint64_t seed() const;
    // The shape of one input sample (set by an Input layer or by build; rank 0 before) and of one
    // output sample (rank 0 before build), and their element counts.
    Shape input_shape() const;
    Shape output_shape() const;
    std::int64_t input_size() const;
    std::int64_t output_size() const;

    void compile(const Optimizer& optimizer, Loss loss, CompileOptions options = {});
    void compile(const Optimizer& optimizer, std::string_view loss, CompileOptions options = {}) {
        compile(optimizer, parse_loss(loss), options);
    }
    // With a loss of the user's (nn/losses.hpp): options.reduction does not apply (the function
    // reduces), metrics must be named exactly ("binary_accuracy", not "accuracy"), and y may have
    // any sample shape the function takes.
    void compile(const Optimizer& optimizer, CustomLoss loss, CompileOptions options = {});
    // The optimizer alone, for a hand-written loop that computes its own loss and steps with
    // apply_gradients (fit and evaluate then ask for a loss).
    void compile(const Optimizer& optimizer);

    History fit(const Data& x, const Data& y, const FitOptions& options = {});
    // The loss of x's predictions against y, in batches, without a graph: the compiled loss with its
    // reduction, plus the terms layers add (computed as in training: a variational layer samples,
    // from a generator of fixed seed; Dropout and noise layers stay off).
    double evaluate(const Data& x, const Data& y, std::int64_t batch_size = 256);
    // The same loss, with its parts by name when layers add terms, then the compiled metrics
    // ("accuracy"), as EpochLogs::values without "val_".
    struct Evaluation {
        double loss = 0.0;
        NamedValues values;
    };
    // In a job of several processes (nn/distributed.hpp) evaluate and predict are collective: each
    // process computes a run of the batches, and every process gets the same figures, or every row.
    Evaluation evaluate_parts(const Data& x, const Data& y, std::int64_t batch_size = 256);
    // The outputs for x, [rows, ...output_shape()], in batches, without a graph.
    Tensor predict(const Data& x, std::int64_t batch_size = 256);
    // One batch of predict_batches: rows [begin, begin + outputs.size(0)) of x as floats, and the
    // model's outputs for them. Both lie in buffers the next batch overwrites.
    struct PredictedBatch {
        std::int64_t begin = 0;
        Tensor inputs;
        Tensor outputs;
        // The outputs of the rows `indices` of x that are in this batch, into the same rows of `out`
        // ([indices.size(), ...output_shape()]): a few outputs kept as the batches go by.
        void copy_outputs(std::span<const std::int64_t> indices, Tensor& out) const;
    };
    // predict's outputs batch by batch, each handed to `consume` as it is made, for what needs them
    // only in passing (an error over the set, a few pictures): the set's outputs are never all held.
    // Bitwise the rows of predict(x, batch_size). Each process of a job computes every batch itself.
    void predict_batches(const Data& x, const std::function<void(const PredictedBatch&)>& consume,
                         std::int64_t batch_size = 256);
    // The model on one batch as a Var (records a graph unless inside NoGrad), for a hand-written
    // training loop. training = true turns Dropout and the noise layers on: they draw from `generator`,
    // or from the model's own generator (seeded by build's seed, drawn on from call to call).
    Var operator()(const Var& x, bool training = false);
    Var operator()(const Var& x, bool training, Generator& generator);
    // The loss terms the layers added in the last call in training mode (Sampling's "kl", the
    // regularizers' penalties), as Keras' model.losses: add them with losses().total(loss). A call in
    // inference mode adds none and empties them.
    const LossTerms& losses() const;
    // For a hand-written loop, after loss.backward(): one step of the compiled optimizer over the
    // trainable weights' gradients (the step fit takes), then clears the gradients for the next
    // backward. std::logic_error when the model is not compiled or no gradient was computed. In a job of
    // several processes each steps on its own gradients (fit is what adds them across processes).
    void apply_gradients();

    // The whole model in one file (nn/model_file.hpp: load_model reads it): architecture, weights, and
    // when compiled the loss, the optimizer and its state; and the history of the epochs trained.
    // Written atomically.
    void save(const std::filesystem::path& path) const;
    // Every epoch fit has trained since the model was made (or loaded), numbered from 1; a fit with
    // initial_epoch k keeps the first k and appends its own.
    const History& history() const;
    // The number of the last epoch trained (0 before any): what initial_epoch resumes from.
    int epochs_trained() const { return history().epochs.empty() ? 0 : history().epochs.back().epoch; }
    // A layer by its name in parameter names: "encoder", "encoder.0", "3" (Keras' get_layer);
    // std::invalid_argument listing the names when there is none. get_model: a nested Sequential.
    Layer get_layer(std::string_view name) const;
    Sequential get_model(std::string_view name) const;
    // The model behind a Layer that holds a Sequential (std::invalid_argument otherwise).
    explicit Sequential(std::shared_ptr<SequentialModule> module);

    // Keras-like table: layer, output shape, parameter count, totals.
    std::string summary() const;
    std::vector<NamedParameter> parameters() const;
    // All weights as one flat tensor (a view once compiled: writing it changes the model).
    Tensor weights() const;

    // Safetensors, names like "encoder.0.kernel"; written atomically. Loading checks that names,
    // shapes and dtype match this model and says exactly what does not; it also takes the weights of
    // a whole-model file (save).
    void save_weights(const std::filesystem::path& path) const;
    void load_weights(const std::filesystem::path& path);
    // Keras' get_weights / set_weights: copies of every parameter in parameters() order, and their
    // values put back (into this model or another of the same layers: a pretrained encoder's weights
    // into a fresh one). set_weights checks the count and every shape before changing anything.
    std::vector<Tensor> get_weights() const;
    void set_weights(const std::vector<Tensor>& weights);

    SequentialModule& sequential_module() const;
};

// The Module behind Sequential (layers, build, forward) plus its training state.
class SequentialModule final : public Module {
public:
    SequentialModule(std::vector<Layer> layers, std::string name);
    std::string type_name() const override { return "Sequential"; }
    // Its name, input shape (when known) and its layers' configs, in order.
    Config config() const override;
    Shape build(const Shape& input_shape, const std::string& previous, Generator& generator) override;
    Var forward(const Var& x, const ForwardContext& context) override;
    // All layers but the last through forward; the last one writes the result or folds in the loss.
    Var forward_with_loss(const Var& x, Loss loss, const Tensor& target, const ForwardContext& context) override;
    void predict_into(const Tensor& x, Tensor& out, const ForwardContext& context) override;
    void collect_parameters(const std::string& prefix, std::vector<NamedParameter>& out) override;
    void collect_summary(const std::string& prefix, std::vector<SummaryRow>& out) const override;
    void check_precision(Precision precision, const std::string& path) const override;
    Shape output_shape() const override { return output_shape_; }
    // Builds the last layer, just added to this built model, on the output of the one before it.
    void build_last_layer();

    std::vector<Layer> layers;
    std::string name;
    Shape input_shape;   // set by an Input layer or by the first build (rank 0 before)
    Shape output_shape_;  // set by build

    // Set by compile.
    std::unique_ptr<Optimizer> optimizer;
    std::optional<Loss> loss;
    CustomLoss custom_loss;  // set instead of `loss` by the compile that takes a function
    CompileOptions compile_options;
    std::vector<Metric> metrics;  // compile_options.metrics, resolved for the loss
    std::shared_ptr<class ParameterStore> store;
    // Dropout's and the noise layers' numbers when the model is called in training mode without a
    // generator of the caller's; seeded by build.
    Generator call_generator{0};
    // The epochs trained so far (Sequential::history).
    History history;
    // The model's own seed, if given (see Sequential's "Seeds").
    std::optional<std::uint64_t> seed;
    // Where the initialisers' stream stopped at build, so that a layer added later draws on from it.
    Generator build_generator{0};
    // The loss terms of the last call in training mode (Sequential::losses).
    LossTerms call_losses;

    // The name of child `index` in parameter names: a named Sequential's name, else its position
    // among the layers that are not Input ("input" for an Input layer).
    std::string child_name(std::size_t index) const;
};

}  // namespace smallnet
