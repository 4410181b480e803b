// Sequential's training and inference loops: fit, evaluate, predict.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>

#include "autograd/gradient_redirect.hpp"
#include "autograd/ops/arithmetic.hpp"
#include "nn/block_gradient_sum.hpp"
#include "nn/collectives.hpp"
#include "nn/distributed.hpp"
#include "nn/fit_generators.hpp"
#include "nn/interrupt.hpp"
#include "nn/parameter_store.hpp"
#include "nn/progress.hpp"
#include "nn/sequential.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/storage.hpp"
#include "tensor/threads.hpp"

namespace smallnet {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point start, Clock::time_point end) {
    return std::chrono::duration<double>(end - start).count();
}

void check_fit_arguments(const Data& x, const Data& y, const FitOptions& options) {
    if (options.epochs < 1) throw std::invalid_argument("fit: epochs must be at least 1, got " + std::to_string(options.epochs));
    if (options.initial_epoch < 0 || options.initial_epoch >= options.epochs)
        throw std::invalid_argument("fit: initial_epoch must be in 0.." + std::to_string(options.epochs - 1) +
                                    " (the epochs already trained, fewer than `epochs`, the last epoch's number), got " +
                                    std::to_string(options.initial_epoch));
    if (options.batch_size < 1)
        throw std::invalid_argument("fit: batch_size must be at least 1, got " + std::to_string(options.batch_size));
    if (x.rows() == 0) throw std::invalid_argument("fit: the training data is empty");
    if (x.rows() != y.rows())
        throw std::invalid_argument("fit: x has " + std::to_string(x.rows()) + " samples but y has " + std::to_string(y.rows()));
    if (!(options.validation_split >= 0.0 && options.validation_split < 1.0))
        throw std::invalid_argument("fit: validation_split must be in [0, 1)");
    if (options.verbose < 0 || options.verbose > 2) throw std::invalid_argument("fit: verbose must be 0, 1 or 2");
    if (options.row_blocks < 0)
        throw std::invalid_argument("fit: row_blocks must be 0 (chosen from the batch size and the processes) or more, got " +
                                    std::to_string(options.row_blocks));
}

// What to tell a user whose data has the right values in the wrong shape.
std::string reshape_hint(const Shape& have, const Shape& want) {
    return have.numel() == want.numel() ? " (the same number of values: Data::reshape_samples(" + want.to_string() +
                                              ") gives them that shape without copying)"
                                        : "";
}

// Builds the model for x if needed and checks that x fits its input and y its output (labels: one
// per output row, for the sparse classification losses).
void prepare(Sequential& model, const Data& x, const Data& y, const char* what) {
    if (model.input_shape().rank() != 0 && x.sample_shape() != model.input_shape())
        throw std::invalid_argument(std::string(what) + ": the model takes samples of shape " +
                                    batch_shape_string(model.input_shape()) + ", but x has " +
                                    batch_shape_string(x.sample_shape()) +
                                    reshape_hint(x.sample_shape(), model.input_shape()));
    if (!model.built()) model.build(x.sample_shape());  // from the model's seed, whichever call builds it
    const std::optional<Loss>& loss = model.sequential_module().loss;
    const Shape expected = loss ? target_shape(*loss, model.output_shape()) : model.output_shape();
    // A custom loss takes whatever targets it was written for.
    if (!y.empty() && !model.sequential_module().custom_loss && y.sample_shape() != expected)
        throw std::invalid_argument(std::string(what) + ": the model outputs samples of shape " +
                                    batch_shape_string(model.output_shape()) +
                                    (loss && takes_labels(*loss) ? ", so its labels must have shape " + batch_shape_string(expected)
                                                                 : std::string()) +
                                    ", but y has " + batch_shape_string(y.sample_shape()) +
                                    reshape_hint(y.sample_shape(), expected));
}

// [rows, ...sample]
Shape batch_shape(std::int64_t rows, const Shape& sample) {
    std::int64_t dims[Shape::max_rank];
    if (sample.rank() + 1 > Shape::max_rank) throw_shape_error("predict", sample, "the output has too many axes");
    dims[0] = rows;
    std::copy(sample.begin(), sample.end(), dims + 1);
    return Shape(std::span<const std::int64_t>(dims, static_cast<std::size_t>(sample.rank()) + 1));
}

// One row block of a training step's batch, as this process computes it: its rows, its share of the
// batch's rows, and what its forward pass made (see FitOptions::row_blocks).
struct RowBlock {
    int index = 0;  // in the batch's blocks
    std::int64_t begin = 0, end = 0;
    double share = 1.0;
    Generator generator{0};  // its layers' random numbers
    Tensor input_buffer, target_buffer;  // where it gathers its rows, when it does
    Tensor target;
    LossTerms terms;
    Var output;    // when the loss or the metrics need it
    Var compiled;  // the compiled loss, reduced, over the block's rows
    Var loss;      // compiled + terms, times the block's share: what its backward starts from
    float loss_value = 0.0f;
    EpochTimings timings;  // its gather, forward and backward this epoch (update stays 0)
};

// What a step's blocks report, one record per block, the same in every process: its loss, compiled
// loss and terms (as floats, widened), its metrics' counts, and whether its process was asked to stop.
// Every process gathers every block's record and adds them in block order, so the figures are the
// same at any number of processes.
class BlockRecords {
public:
    void configure(std::size_t terms, std::size_t metrics, int blocks) {
        terms_ = terms;
        metrics_ = metrics;
        stride_ = 3 + terms + 2 * metrics;
        all_.assign(stride_ * static_cast<std::size_t>(blocks), 0.0);
    }
    std::size_t stride() const { return stride_; }
    // This process's records (`own` of them from block `first`), filled from its blocks.
    void write(std::span<double> out, const RowBlock& block, const std::vector<Metric>& metrics, bool stop) const {
        std::fill(out.begin(), out.end(), 0.0);
        out[2] = stop ? 1.0 : 0.0;
        if (block.begin == block.end) return;  // an empty block: nothing, weighed 0
        out[0] = block.loss_value;
        out[1] = block.compiled.value().item();
        for (std::size_t t = 0; t < terms_ && t < block.terms.terms().size(); ++t)
            out[3 + t] = block.terms.terms()[t].second.value().item();
        for (std::size_t i = 0; i < metrics_; ++i) {
            const MetricCount c = count_metric(metrics[i], block.output.value(), block.target);
            out[3 + terms_ + 2 * i] = c.correct;
            out[3 + terms_ + 2 * i + 1] = static_cast<double>(c.scored);
        }
    }
    std::span<double> all() { return all_; }
    float loss(int block) const { return static_cast<float>(at(block, 0)); }
    float compiled(int block) const { return static_cast<float>(at(block, 1)); }
    bool stop(int block) const { return at(block, 2) != 0.0; }
    float term(int block, std::size_t t) const { return static_cast<float>(at(block, 3 + t)); }
    MetricCount metric(int block, std::size_t i) const {
        return {at(block, 3 + terms_ + 2 * i), static_cast<std::int64_t>(at(block, 3 + terms_ + 2 * i + 1))};
    }

private:
    double at(int block, std::size_t field) const { return all_[static_cast<std::size_t>(block) * stride_ + field]; }
    std::size_t terms_ = 0, metrics_ = 0, stride_ = 3;
    std::vector<double> all_;
};

// The rows of `batch` that `block` computes (the batch itself when it is the whole of it).
Tensor block_rows(const Tensor& batch, const RowBlock& block) {
    return block.begin == 0 && block.end == batch.shape()[0] ? batch : batch.rows(block.begin, block.end);
}

// Sums of named values over an epoch (or an evaluation), each weighted by its batch's samples, in
// the order the names first appear.
class PartSums {
public:
    void add(const std::string& name, double value, std::int64_t samples) {
        for (auto& [existing, sum] : sums_)
            if (existing == name) {
                sum += value * static_cast<double>(samples);
                return;
            }
        sums_.emplace_back(name, value * static_cast<double>(samples));
    }
    // The compiled loss as "reconstruction", then each of a batch's terms (named `names`).
    void add_step(double compiled, const std::vector<std::string>& names, std::span<const float> values,
                  std::int64_t samples) {
        if (names.empty() && sums_.empty()) return;
        add("reconstruction", compiled, samples);
        for (std::size_t i = 0; i < names.size(); ++i) add(names[i], values[i], samples);
    }
    // The same for a batch computed as row blocks: each block's parts weighted by its share of the
    // batch's rows (every block has the terms named `names`, in that order).
    void add_step(const BlockRecords& records, std::span<const double> shares, const std::vector<std::string>& names,
                  std::int64_t samples) {
        if (names.empty() && sums_.empty()) return;
        double compiled = 0.0;
        for (std::size_t b = 0; b < shares.size(); ++b)
            compiled += shares[b] * static_cast<double>(records.compiled(static_cast<int>(b)));
        add("reconstruction", compiled, samples);
        for (std::size_t i = 0; i < names.size(); ++i) {
            double term = 0.0;
            for (std::size_t b = 0; b < shares.size(); ++b)
                term += shares[b] * static_cast<double>(records.term(static_cast<int>(b), i));
            add(names[i], term, samples);
        }
    }
    // Each sum divided by `samples`, names prefixed with `prefix`.
    NamedValues means(std::int64_t samples, const std::string& prefix = "") const {
        NamedValues out;
        for (const auto& [name, sum] : sums_) out.emplace_back(prefix + name, sum / static_cast<double>(samples));
        return out;
    }

private:
    NamedValues sums_;
};

// The compiled metrics summed over an epoch (or an evaluation).
class MetricSums {
public:
    explicit MetricSums(const std::vector<Metric>& metrics) : metrics_(metrics), counts_(metrics.size()) {}
    void add(const Tensor& prediction, const Tensor& target) {
        for (std::size_t i = 0; i < metrics_.size(); ++i) {
            const MetricCount c = count_metric(metrics_[i], prediction, target);
            counts_[i].correct += c.correct;
            counts_[i].scored += c.scored;
        }
    }
    void add(std::size_t metric, MetricCount count) {
        counts_[metric].correct += count.correct;
        counts_[metric].scored += count.scored;
    }
    // Appends each metric's mean so far to `values`, its name prefixed with `prefix`.
    void append_to(NamedValues& values, const std::string& prefix = "") const {
        for (std::size_t i = 0; i < metrics_.size(); ++i)
            values.emplace_back(prefix + metrics_[i].name,
                                counts_[i].scored > 0 ? counts_[i].correct / static_cast<double>(counts_[i].scored) : 0.0);
    }

private:
    const std::vector<Metric>& metrics_;
    std::vector<MetricCount> counts_;
};

// "NaN" or "infinite", with the parts that are not finite: "NaN (kl NaN)".
std::string not_finite(const BlockRecords& records, int block, const std::vector<std::string>& names) {
    const auto word = [](float v) { return std::string(std::isnan(v) ? "NaN" : "infinite"); };
    std::string text = word(records.loss(block)), parts;
    const auto note = [&](const std::string& name, float v) {
        if (!std::isfinite(v)) parts += (parts.empty() ? "" : ", ") + name + " " + word(v);
    };
    if (!names.empty()) {
        note("reconstruction", records.compiled(block));
        for (std::size_t t = 0; t < names.size(); ++t) note(names[t], records.term(block, t));
    }
    return parts.empty() ? text : text + " (" + parts + ")";
}

void check_finite(const Data& data, const std::string& what) {
    const auto bad = data.first_non_finite();
    if (!bad) return;
    Tensor buffer;
    const float value = data.batch(bad->first, bad->first + 1, buffer).data()[bad->second];
    throw std::invalid_argument("fit: " + what + " holds " + (std::isnan(value) ? "NaN" : "infinity") + " at sample " +
                                std::to_string(bad->first) + ", value " + std::to_string(bad->second) +
                                " (of samples of shape " + batch_shape_string(data.sample_shape()) +
                                "); training on it would only give a NaN loss");
}

// The user's loss on a batch, checked to be one number.
Var custom_loss_value(const CustomLoss& loss, const Var& prediction, const Tensor& target) {
    Var value = loss(prediction, target);
    if (!value.defined() || value.value().numel() != 1)
        throw std::invalid_argument("custom loss: it must return one number (a scalar Var), but returned " +
                                    (value.defined() ? "a tensor of shape " + value.shape().to_string() : std::string("nothing")));
    return value;
}

}  // namespace

History Sequential::fit(const Data& x_all, const Data& y_all, const FitOptions& options) {
    // The steps' buffers stay cached for reuse while training; afterwards they are dead weight (a conv
    // model's are tens of MB, which a program would carry through all it does next). Declared first,
    // so that it runs after every buffer of fit's own has gone back to the cache.
    struct ReleaseBuffersOnExit {
        ~ReleaseBuffersOnExit() { release_storage_cache(); }
    } release_buffers_on_exit;
    SequentialModule& m = sequential_module();
    if (!m.optimizer || (!m.loss && !m.custom_loss))
        throw std::logic_error("fit: compile the model first (an optimizer and a loss)");
    if (!grad_enabled())
        throw std::logic_error("fit: called inside a NoGrad scope, where no gradients are recorded; call fit outside it");
    check_fit_arguments(x_all, y_all, options);
    prepare(*this, x_all, y_all, "fit");
    // A layer frozen or unfrozen since the last fit changes what the optimizer steps over: its
    // moments start afresh, as after Keras' recompile.
    keep_adopted(m.store, parameters(), *m.optimizer);
    const bool anything_to_train = m.store->trainable_values().numel() > 0;

    Data x = x_all, y = y_all;
    ValidationData validation = options.validation_data;
    if (options.validation_split > 0.0) {
        const auto held_out = static_cast<std::int64_t>(static_cast<double>(x_all.rows()) * options.validation_split);
        const std::int64_t kept = x_all.rows() - held_out;
        if (held_out == 0 || kept == 0)
            throw std::invalid_argument("fit: validation_split " + std::to_string(options.validation_split) +
                                        " leaves no samples for training or for validation");
        x = x_all.slice(0, kept);
        y = y_all.slice(0, kept);
        validation = ValidationData(x_all.slice(kept, x_all.rows()), y_all.slice(kept, y_all.rows()));
    }
    if (validation.present) prepare(*this, validation.x, validation.y, "fit (validation data)");
    // A NaN or an infinity in the data would only show as a NaN loss at some step.
    check_finite(x_all, "x");
    check_finite(y_all, "y");
    if (options.validation_data.present) {
        check_finite(options.validation_data.x, "the validation x");
        check_finite(options.validation_data.y, "the validation y");
    }

    const bool target_is_input = x.same_as(y);
    const std::int64_t samples = x.rows();
    const std::int64_t batch_size = std::min(options.batch_size, samples);
    const std::int64_t steps = (samples + batch_size - 1) / batch_size;
    Generator shuffler(options.seed);
    const bool custom = static_cast<bool>(m.custom_loss);
    const float reduction =
        custom ? 1.0f : static_cast<float>(reduction_factor(m.compile_options.reduction, *m.loss, y.columns()));
    // Metrics (and a custom loss) need the model's output, so the loss is then computed from it
    // rather than folded into the last layer's pass.
    const bool loss_from_output = !m.metrics.empty() || custom;
    std::vector<std::int64_t> order(static_cast<std::size_t>(samples));
    std::iota(order.begin(), order.end(), 0);
    // Two batches in flight: the worker threads convert the next one (a gather of scattered uint8
    // rows, a sixth of a small model's step on one core) while this one trains.
    struct Batch {
        Tensor input, target, input_buffer, target_buffer;
    };
    Batch batches[2];
    // Rows begin..end of the epoch's order, as floats in the buffers given, for `reader` to read.
    const auto take_rows = [&](std::int64_t begin, std::int64_t end, Tensor& input_buffer, Tensor& target_buffer,
                               Tensor& input, Tensor& target, BatchReader reader) {
        const std::int64_t count = end - begin;
        input = options.shuffle ? x.gather(order.data() + begin, count, input_buffer, reader)
                                : x.batch(begin, end, input_buffer);
        target = target_is_input ? input
               : options.shuffle ? y.gather(order.data() + begin, count, target_buffer, reader)
                                 : y.batch(begin, end, target_buffer);
    };
    const auto load = [&](std::int64_t step, Batch& b) {
        const std::int64_t begin = step * batch_size, end = std::min(samples, begin + batch_size);
        take_rows(begin, end, b.input_buffer, b.target_buffer, b.input, b.target, BatchReader::other_threads);
    };
    // What the background task runs; started through std::ref, so that no step allocates a closure.
    std::int64_t next_step = 0;
    const auto load_next = [&] { load(next_step, batches[next_step % 2]); };
    // Declared after everything its task uses: when a step throws, its destructor waits for the task
    // before any of that goes.
    BackgroundTask next_batch;
    // The rows of `step`'s batch, asked of the memory system ahead of their gather.
    const auto prefetch = [&](std::int64_t step) {
        if (step >= steps || !options.shuffle) return;
        const std::int64_t begin = step * batch_size, count = std::min(batch_size, samples - begin);
        x.prefetch(order.data() + begin, count);
        if (!target_is_input) y.prefetch(order.data() + begin, count);
    };

    // Row blocks (FitOptions::row_blocks): each draws from a stream of its own and sends its gradients
    // to a buffer of its own, so that blocks can run at once, on threads or on processes; their sum in
    // a fixed tree (nn/block_gradient_sum.hpp) is then the same on any number of either.
    const int processes = options.distributed ? process_count() : 1;
    const int row_blocks =
        options.row_blocks != 0 ? options.row_blocks : std::max(processes, !custom && batch_size >= 128 ? 2 : 1);
    if (row_blocks < processes)
        throw std::invalid_argument("fit: row_blocks " + std::to_string(row_blocks) + " is fewer than the " +
                                    std::to_string(processes) + " processes, each of which computes one block at least");
    if (row_blocks > batch_size)
        throw std::invalid_argument("fit: " + std::to_string(row_blocks) + " row blocks cannot split a batch of " +
                                    std::to_string(batch_size) + " rows" +
                                    (processes > 1 ? " (there is one block per process at least)" : ""));
    BlockGradientSum gradient_sum(row_blocks, processes, processes > 1 ? process_rank() : 0);
    std::vector<RowBlock> blocks(static_cast<std::size_t>(gradient_sum.own_blocks()));
    std::vector<Tensor> gradient_buffers(blocks.size());
    for (std::size_t j = 0; j < blocks.size(); ++j) {
        blocks[j].index = gradient_sum.first_block() + static_cast<int>(j);
        if (anything_to_train)
            gradient_buffers[j] = j == 0 ? m.store->gradients() : m.store->block_gradients(static_cast<int>(j));
    }
    if (processes > 1) {
        // The processes must hold the same data and model, and start from the same weights: those of
        // process 0 (a model built from its seed has them everywhere; a loaded one should too).
        collectives::check_same_everywhere(samples, "the training samples");
        collectives::check_same_everywhere(batch_size, "the batch size");
        collectives::check_same_everywhere(options.epochs, "the epochs");
        collectives::check_same_everywhere(options.initial_epoch, "the initial epoch");
        collectives::check_same_everywhere(static_cast<std::int64_t>(options.seed), "the seed");
        collectives::check_same_everywhere(row_blocks, "the row blocks");
        collectives::check_same_everywhere(m.store->count(), "the model's parameters");
        collectives::check_same_everywhere(m.store->trainable_values().numel(), "the trainable parameters");
        Tensor& values = m.store->values();
        collectives::broadcast_from_first(std::span<float>(values.data(), static_cast<std::size_t>(values.numel())));
    }
    // With several blocks each gathers its own rows, on its own thread, just before it uses them (the
    // gather asks for the rows a few ahead of the one it converts: convert_u8_rows); with one the
    // worker threads gather the next batch while a step trains (batches, above).
    const bool gather_in_blocks = row_blocks > 1;
    // The first row of block k in a batch of `count` rows: block k takes rows [ceil(k * count / K),
    // ceil((k + 1) * count / K)), the first ones the larger.
    const auto block_start = [&](std::int64_t count, std::int64_t k) {
        return (k * count + row_blocks - 1) / row_blocks;
    };
    std::int64_t step_begin = 0;  // the step's first row in the epoch's order
    Tensor step_input, step_target;
    const auto run_block = [&](std::size_t j) {
        RowBlock& block = blocks[j];
        block.terms.clear();
        if (block.begin == block.end) return;  // a short last batch leaves the last blocks empty
        // Blocks after this process's first send their gradients to buffers of their own.
        std::optional<RedirectGradients> into_own_buffer;
        if (j > 0 && anything_to_train) into_own_buffer.emplace(m.store->block_redirect(static_cast<int>(j)));
        const ForwardContext context{true, &block.generator, &block.terms, m.compile_options.precision};
        const auto gather_start = Clock::now();
        Tensor input;
        if (gather_in_blocks) {
            take_rows(step_begin + block.begin, step_begin + block.end, block.input_buffer, block.target_buffer, input,
                      block.target, BatchReader::gathering_thread);
        } else {
            input = block_rows(step_input, block);
            block.target = block_rows(step_target, block);
        }
        const Tensor& target = block.target;
        const auto forward_start = Clock::now();
        if (loss_from_output) {
            block.output = m.forward(Var(input), context);
            block.compiled = custom ? custom_loss_value(m.custom_loss, block.output, target) : compute_loss(*m.loss, block.output, target);
        } else {
            block.compiled = m.forward_with_loss(Var(input), *m.loss, target, context);
        }
        if (reduction != 1.0f) block.compiled = block.compiled * reduction;
        block.loss = block.terms.empty() ? block.compiled : block.terms.total(block.compiled);
        if (block.share != 1.0) block.loss = block.loss * static_cast<float>(block.share);
        block.loss_value = block.loss.value().item();
        const auto backward_start = Clock::now();
        // A loss that is not finite stops fit before the update; its gradients would be of no use.
        if (anything_to_train && std::isfinite(block.loss_value)) block.loss.backward();
        block.timings.batch += seconds_between(gather_start, forward_start);
        block.timings.forward += seconds_between(forward_start, backward_start);
        block.timings.backward += seconds_between(backward_start, Clock::now());
    };
    // This process's blocks two at a time (on one thread, one after the other).
    std::size_t pair = 0;
    auto run_pair_first = [&] { run_block(pair); };
    auto run_pair_second = [&] { run_block(pair + 1); };
    BlockRecords records;
    bool records_ready = false;
    std::vector<std::string> term_names;  // the layers' terms, as the first step's first block names them
    std::vector<int> record_counts(static_cast<std::size_t>(processes));
    std::vector<double> shares(static_cast<std::size_t>(row_blocks));
    std::vector<double> own_records;

    // Only process 0 shows the progress: the others compute the same figures.
    // Whether a process was asked to stop: all of them then stop at the same point.
    const auto stop_everywhere = [&] {
        return processes > 1 ? collectives::max_everywhere(stop_requested() ? 1 : 0) != 0 : stop_requested();
    };
    ProgressDisplay progress(processes > 1 && process_rank() != 0 ? 0 : options.verbose, options.epochs, steps);
    History history;
    history.seed = m.history.seed = options.seed;
    history.batch_size = m.history.batch_size = options.batch_size;
    // The epochs before initial_epoch: their shuffles (each reorders the last one's order), so that
    // this run goes on where they left off; and the model's history keeps only them.
    // Fisher-Yates from the seeded generator: the same order on any machine.
    const auto shuffle_order = [&] {
        for (std::int64_t i = samples - 1; i > 0; --i)
            std::swap(order[i], order[shuffler.below(static_cast<std::uint64_t>(i + 1))]);
    };
    if (options.shuffle)
        for (int epoch = 1; epoch <= options.initial_epoch; ++epoch) shuffle_order();
    if (m.history.epochs.size() > static_cast<std::size_t>(options.initial_epoch))
        m.history.epochs.resize(static_cast<std::size_t>(options.initial_epoch));
    for (auto& callback : options.callbacks) callback->on_train_begin(*this);

    for (int epoch = options.initial_epoch + 1; epoch <= options.epochs; ++epoch) {
        if (stop_everywhere()) {  // asked before the epoch's first step
            history.interrupted = StopPoint{epoch, 0, steps};
            break;
        }
        for (auto& callback : options.callbacks) callback->on_epoch_begin(epoch - 1, *this);
        progress.start_epoch(epoch);
        for (RowBlock& block : blocks) {
            block.generator = fit_layer_generator(options.seed, epoch, block.index);
            block.timings = {};
        }
        double waited_for_batches = 0.0, update_seconds = 0.0;
        const auto start = Clock::now();
        if (options.shuffle) shuffle_order();
        double loss_total = 0.0;
        PartSums parts;
        MetricSums metric_sums(m.metrics);
        if (!gather_in_blocks) {
            const auto load_start = Clock::now();
            load(0, batches[0]);
            prefetch(1);
            waited_for_batches += seconds_between(load_start, Clock::now());
        }
        for (std::int64_t step = 0; step < steps; ++step) {
            const std::int64_t end = std::min(samples, (step + 1) * batch_size);
            const std::int64_t count = end - step * batch_size;
            step_begin = step * batch_size;
            if (!gather_in_blocks) {
                const auto wait_start = Clock::now();
                next_batch.wait();  // this step's batch, gathered during the last one
                step_input = batches[step % 2].input;
                step_target = batches[step % 2].target;
                if (step + 1 < steps) {
                    next_step = step + 1;
                    next_batch.start(std::ref(load_next));  // on one thread the gather runs here
                }
                // Rows still scattered in memory arrive before they are gathered (the gather took a
                // third less time: 40 -> 28 ms per MNIST epoch, side by side).
                prefetch(step + 2);
                waited_for_batches += seconds_between(wait_start, Clock::now());
            }

            // The batch in one pass, or as row blocks computed at once (FitOptions::row_blocks).
            for (int k = 0; k < row_blocks; ++k) {
                const std::int64_t rows = block_start(count, k + 1) - block_start(count, k);
                shares[static_cast<std::size_t>(k)] = static_cast<double>(rows) / static_cast<double>(count);
            }
            for (RowBlock& block : blocks) {
                block.begin = block_start(count, block.index);
                block.end = block_start(count, block.index + 1);
                block.share = shares[static_cast<std::size_t>(block.index)];
            }
            if (anything_to_train) {
                m.store->forget_gradients();
                for (std::size_t j = 1; j < blocks.size(); ++j) m.store->block_redirect(static_cast<int>(j)).forget();
            }
            for (pair = 0; pair + 1 < blocks.size(); pair += 2) run_both(run_pair_first, run_pair_second);
            if (blocks.size() % 2 == 1) run_block(blocks.size() - 1);

            // Every block's figures, in every process, added in block order.
            if (!records_ready) {  // the first step: every block has rows, so each knows the terms
                records_ready = true;
                for (const auto& [name, term] : blocks[0].terms.terms()) term_names.push_back(name);
                records.configure(term_names.size(), m.metrics.size(), row_blocks);
                own_records.assign(records.stride() * blocks.size(), 0.0);
                for (int p = 0; p < processes; ++p)
                    record_counts[static_cast<std::size_t>(p)] = static_cast<int>(
                        records.stride() *
                        static_cast<std::size_t>(gradient_sum.first_block_of(p + 1) - gradient_sum.first_block_of(p)));
            }
            const bool stop_here = stop_requested();
            for (std::size_t j = 0; j < blocks.size(); ++j)
                records.write(std::span<double>(own_records).subspan(j * records.stride(), records.stride()), blocks[j],
                              m.metrics, stop_here);
            collectives::gather_everywhere(own_records, record_counts, records.all());
            float loss_value = records.loss(0);
            for (int k = 1; k < row_blocks; ++k) loss_value += records.loss(k);
            if (!std::isfinite(loss_value)) {
                int bad = 0;  // the first block whose loss is not finite (or the last: finite parts can overflow the sum)
                while (bad + 1 < row_blocks && std::isfinite(records.loss(bad))) ++bad;
                throw std::runtime_error("fit: the loss became " + not_finite(records, bad, term_names) + " at epoch " +
                                         std::to_string(epoch) + ", step " + std::to_string(step + 1) + " of " +
                                         std::to_string(steps) + "; training stopped before this step's update");
            }
            for (int k = 0; k < row_blocks; ++k)
                for (std::size_t i = 0; i < m.metrics.size(); ++i) metric_sums.add(i, records.metric(k, i));
            const auto update_start = Clock::now();
            if (anything_to_train) {
                m.store->zero_missing_gradients();
                for (std::size_t j = 1; j < blocks.size(); ++j) m.store->block_redirect(static_cast<int>(j)).zero_missing();
                if (processes > 1) {
                    gradient_sum.sum_everywhere(gradient_buffers);
                    m.optimizer->step(m.store->trainable_values(), m.store->gradients());
                } else if (Tensor* right = gradient_sum.sum_to_halves(gradient_buffers)) {
                    m.optimizer->step_on_sum(m.store->trainable_values(), m.store->gradients(), *right);
                } else {
                    m.optimizer->step(m.store->trainable_values(), m.store->gradients());
                }
            }
            update_seconds += seconds_between(update_start, Clock::now());

            loss_total += static_cast<double>(loss_value) * static_cast<double>(count);
            parts.add_step(records, shares, term_names, count);
            if (anything_to_train) ++history.steps_trained;
            if (progress.would_draw(step + 1)) {
                NamedValues so_far = parts.means(end);
                metric_sums.append_to(so_far);
                progress.update(step + 1, loss_total / static_cast<double>(end), so_far);
            }
            // Ctrl-C: the step is whole (its update made); the epoch is left unfinished. Every process
            // stops at the same step: at the first whose records say a process was asked to.
            bool stop_asked = false;
            for (int k = 0; k < row_blocks; ++k) stop_asked = stop_asked || records.stop(k);
            if (stop_asked && step + 1 < steps) {
                history.interrupted = StopPoint{epoch, step + 1, steps};
                break;
            }
        }
        if (history.interrupted) {
            next_batch.wait();
            break;
        }
        EpochLogs logs;
        logs.epoch = epoch;
        logs.seconds = seconds_between(start, Clock::now());
        logs.timings.batch = waited_for_batches;
        logs.timings.update = update_seconds;
        for (const RowBlock& block : blocks) {
            logs.timings.batch += block.timings.batch;
            logs.timings.forward += block.timings.forward;
            logs.timings.backward += block.timings.backward;
        }
        logs.loss = loss_total / static_cast<double>(samples);
        logs.values = parts.means(samples);
        metric_sums.append_to(logs.values);
        if (validation.present) {
            const Evaluation validated = evaluate_parts(validation.x, validation.y, std::max<std::int64_t>(batch_size, 256));
            logs.val_loss = validated.loss;
            for (const auto& [name, value] : validated.values) logs.values.emplace_back("val_" + name, value);
        }
        progress.end_epoch(logs);
        history.epochs.push_back(logs);
        m.history.epochs.push_back(logs);
        bool keep_going = true;
        for (auto& callback : options.callbacks) keep_going = callback->on_epoch_end(logs, *this) && keep_going;
        if (!keep_going) break;
        if (stop_everywhere() && epoch < options.epochs) {  // during the validation or the callbacks
            history.interrupted = StopPoint{epoch + 1, 0, steps};
            break;
        }
    }
    for (auto& callback : options.callbacks) callback->on_train_end(*this, history);
    return history;
}

double Sequential::evaluate(const Data& x, const Data& y, std::int64_t batch_size) {
    return evaluate_parts(x, y, batch_size).loss;
}

namespace {

// Which of `batches` batches this process takes when a job of several splits them: a contiguous run,
// [first, end). All of them with one process, or when there are fewer batches than processes (a
// process with none would not know the layers' terms; each then computes every batch).
struct BatchShare {
    int processes = 1;
    std::int64_t first = 0, end = 0;
    std::int64_t first_of(int p, std::int64_t batches) const { return static_cast<std::int64_t>(p) * batches / processes; }
};

BatchShare share_batches(std::int64_t batches) {
    BatchShare share;
    if (process_count() > 1 && batches >= process_count()) share.processes = process_count();
    const int rank = share.processes > 1 ? process_rank() : 0;
    share.first = share.first_of(rank, batches);
    share.end = share.first_of(rank + 1, batches);
    return share;
}

}  // namespace

Sequential::Evaluation Sequential::evaluate_parts(const Data& x, const Data& y, std::int64_t batch_size) {
    SequentialModule& m = sequential_module();
    if (!m.loss && !m.custom_loss) throw std::logic_error("evaluate: compile the model first (it needs the loss)");
    if (batch_size < 1) throw std::invalid_argument("evaluate: batch_size must be at least 1");
    if (x.rows() != y.rows())
        throw std::invalid_argument("evaluate: x has " + std::to_string(x.rows()) + " samples but y has " + std::to_string(y.rows()));
    if (x.rows() == 0) throw std::invalid_argument("evaluate: the data is empty");
    prepare(*this, x, y, "evaluate");
    NoGrad inference;
    const bool target_is_input = x.same_as(y);
    // A layer that samples while the loss is computed (a variational layer) draws from a generator of
    // its own, so that evaluating twice gives the same figure.
    Generator sampling(0xE7A1);
    LossTerms terms;
    const ForwardContext context{false, &sampling, &terms, m.compile_options.precision};
    Tensor input_buffer, target_buffer;
    const bool custom = static_cast<bool>(m.custom_loss);
    const double reduction = custom ? 1.0 : reduction_factor(m.compile_options.reduction, *m.loss, y.columns());
    // Each batch's figures as one record: the loss summed over its terms, their count, the layers'
    // terms, and the metrics' counts. In a job of several processes each computes a run of the
    // batches and all gather every record, so that every process adds them in batch order, as one
    // process does.
    const std::int64_t batches = (x.rows() + batch_size - 1) / batch_size;
    const BatchShare share = share_batches(batches);
    std::vector<std::string> names;
    std::vector<double> own;
    std::size_t stride = 0;
    for (std::int64_t batch = share.first; batch < share.end; ++batch) {
        const std::int64_t begin = batch * batch_size, end = std::min(x.rows(), begin + batch_size);
        Tensor input = x.batch(begin, end, input_buffer);
        Tensor target = target_is_input ? input : y.batch(begin, end, target_buffer);
        terms.clear();
        const Tensor prediction = m.forward(Var(input), context).value();
        if (stride == 0) {
            for (const auto& [name, term] : terms.terms()) names.push_back(name);
            stride = 2 + names.size() + 2 * m.metrics.size();
            own.reserve(stride * static_cast<std::size_t>(share.end - share.first));
        }
        // A custom loss gives the batch's mean: weighted by the batch's samples, as the parts are.
        const std::int64_t batch_terms = custom ? end - begin : loss_terms(*m.loss, prediction);
        own.push_back(custom ? static_cast<double>(custom_loss_value(m.custom_loss, Var(prediction), target).value().item()) *
                                   static_cast<double>(batch_terms)
                             : loss_total(*m.loss, prediction, target));
        own.push_back(static_cast<double>(batch_terms));
        for (const auto& [name, term] : terms.terms()) own.push_back(term.value().item());
        for (const Metric& metric : m.metrics) {
            const MetricCount c = count_metric(metric, prediction, target);
            own.push_back(c.correct);
            own.push_back(static_cast<double>(c.scored));
        }
    }
    std::vector<double> all;
    if (share.processes == 1) {
        all = std::move(own);
    } else {
        all.resize(stride * static_cast<std::size_t>(batches));
        std::vector<int> counts(static_cast<std::size_t>(share.processes));
        for (int p = 0; p < share.processes; ++p)
            counts[static_cast<std::size_t>(p)] =
                static_cast<int>(stride * static_cast<std::size_t>(share.first_of(p + 1, batches) - share.first_of(p, batches)));
        collectives::gather_everywhere(own, counts, all);
    }

    double compiled_total = 0.0;
    std::int64_t compiled_terms = 0;
    PartSums parts;
    MetricSums metric_sums(m.metrics);
    std::vector<float> term_values(names.size());
    for (std::int64_t batch = 0; batch < batches; ++batch) {
        const double* record = all.data() + static_cast<std::size_t>(batch) * stride;
        const std::int64_t rows = std::min(x.rows(), (batch + 1) * batch_size) - batch * batch_size;
        const double sum = record[0];
        const auto batch_terms = static_cast<std::int64_t>(record[1]);
        compiled_total += sum;
        compiled_terms += batch_terms;
        for (std::size_t t = 0; t < names.size(); ++t) term_values[t] = static_cast<float>(record[2 + t]);
        for (std::size_t i = 0; i < m.metrics.size(); ++i)
            metric_sums.add(i, {record[2 + names.size() + 2 * i], static_cast<std::int64_t>(record[3 + names.size() + 2 * i])});
        // The batch's compiled loss as the reduction gives it, for the parts.
        parts.add_step(sum / static_cast<double>(batch_terms) * reduction, names, term_values, rows);
    }
    Evaluation result;
    result.loss = compiled_total / static_cast<double>(compiled_terms) * reduction;
    result.values = parts.means(x.rows());
    for (std::size_t i = 1; i < result.values.size(); ++i) result.loss += result.values[i].second;
    metric_sums.append_to(result.values);
    return result;
}

Tensor Sequential::predict(const Data& x, std::int64_t batch_size) {
    if (batch_size < 1) throw std::invalid_argument("predict: batch_size must be at least 1");
    prepare(*this, x, Data(), "predict");
    SequentialModule& m = sequential_module();
    NoGrad inference;
    const ForwardContext context{false, nullptr, nullptr, m.compile_options.precision};
    Tensor output(batch_shape(x.rows(), output_shape()));
    Tensor input_buffer;
    // In a job of several processes each predicts a run of the batches, and all gather every row.
    const std::int64_t batches = (x.rows() + batch_size - 1) / batch_size;
    const BatchShare share = share_batches(batches);
    for (std::int64_t batch = share.first; batch < share.end; ++batch) {
        const std::int64_t begin = batch * batch_size, end = std::min(x.rows(), begin + batch_size);
        Tensor batch_output = output.rows(begin, end);
        m.predict_into(x.batch(begin, end, input_buffer), batch_output, context);
    }
    if (share.processes > 1) {
        if (output.numel() > std::numeric_limits<int>::max())
            throw std::runtime_error("predict: " + std::to_string(output.numel()) +
                                     " outputs are more than one message between processes takes; predict fewer rows at a time");
        const std::int64_t width = output.numel() / x.rows();
        std::vector<int> counts, offsets;
        for (int p = 0; p < share.processes; ++p) {
            const std::int64_t begin = std::min(x.rows(), share.first_of(p, batches) * batch_size);
            const std::int64_t end = std::min(x.rows(), share.first_of(p + 1, batches) * batch_size);
            offsets.push_back(static_cast<int>(begin * width));
            counts.push_back(static_cast<int>((end - begin) * width));
        }
        collectives::gather_everywhere_in_place(std::span<float>(output.data(), static_cast<std::size_t>(output.numel())),
                                                counts, offsets);
    }
    return output;
}

void Sequential::predict_batches(const Data& x, const std::function<void(const PredictedBatch&)>& consume,
                                 std::int64_t batch_size) {
    if (batch_size < 1) throw std::invalid_argument("predict_batches: batch_size must be at least 1");
    prepare(*this, x, Data(), "predict_batches");
    SequentialModule& m = sequential_module();
    NoGrad inference;
    const ForwardContext context{false, nullptr, nullptr, m.compile_options.precision};
    // One batch's outputs, made once: a shorter last batch takes its first rows.
    const Tensor outputs(batch_shape(std::min(batch_size, x.rows()), output_shape()));
    Tensor input_buffer;
    PredictedBatch batch;
    for (std::int64_t begin = 0; begin < x.rows(); begin += batch_size) {
        const std::int64_t end = std::min(x.rows(), begin + batch_size);
        batch.begin = begin;
        batch.inputs = x.batch(begin, end, input_buffer);
        batch.outputs = outputs.rows(0, end - begin);
        m.predict_into(batch.inputs, batch.outputs, context);
        consume(batch);
    }
}

void Sequential::PredictedBatch::copy_outputs(std::span<const std::int64_t> indices, Tensor& out) const {
    const std::int64_t rows = outputs.size(0), width = rows > 0 ? outputs.numel() / rows : 0;
    if (out.rank() == 0 || out.size(0) != static_cast<std::int64_t>(indices.size()) || out.numel() != out.size(0) * width)
        throw_shape_error("PredictedBatch::copy_outputs", out.shape(), outputs.shape(),
                          "the output must hold one row of the batch's width per index (" +
                              std::to_string(indices.size()) + ")");
    for (std::size_t i = 0; i < indices.size(); ++i)
        if (indices[i] >= begin && indices[i] < begin + rows)
            std::copy_n(outputs.data() + (indices[i] - begin) * width, width, out.data() + static_cast<std::int64_t>(i) * width);
}

}  // namespace smallnet
