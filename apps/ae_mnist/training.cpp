// Loading the data and training, as every subcommand does it.
#include "apps/ae_mnist/ae_mnist.hpp"

namespace smallnet::ae_mnist {

MnistData load(const Settings& s) {
    MnistData data = read_mnist(s.data);
    if (s.limit > 0)
        for (MnistSplit* split : {&data.train, &data.test}) {
            const std::int64_t n = std::min(s.limit, split->images.rows());
            split->images = split->images.row_range(0, n);
            split->labels.resize(static_cast<std::size_t>(n));
        }
    std::printf("data: %s: %lld training and %lld test images of %lldx%lld\n", s.data.c_str(),
                static_cast<long long>(data.train.images.rows()), static_cast<long long>(data.test.images.rows()),
                static_cast<long long>(data.train.rows), static_cast<long long>(data.train.columns));
    return data;
}

History train(Autoencoder& ae, const Settings& s, const Data& x, const Data& validation, const TrainOptions& options) {
    const bool baseline = options.baseline;
    // fit would quietly take one smaller batch; a user who asked for more than the data holds has
    // most likely mistyped, or limited the data more than meant.
    if (s.batch_size_given && s.batch_size > x.rows())
        throw UsageError("--batch-size " + std::to_string(s.batch_size) + " is larger than the " +
                         std::to_string(x.rows()) + " training images; use at most " + std::to_string(x.rows()));
    std::vector<CallbackHandle> callbacks;
    if (!s.checkpoint.empty() && !baseline) {
        const std::filesystem::path checkpoint = s.checkpoint;
        make_output_folder(checkpoint.has_parent_path() ? checkpoint.parent_path() : ".");
        callbacks.push_back(ModelCheckpoint(checkpoint));  // Keras' defaults: after every epoch
    }
    ae.model.build(x.sample_shape(), s.seed);  // as fit would, so the summary can count the weights
    if (!baseline) std::printf("%s", ae.model.summary().c_str());
    ae.model.compile(Adam(), s.loss, options.compile);
    History history = ae.model.fit(x, x, {.epochs = s.epochs, .batch_size = s.batch_size, .validation_data = {validation, validation},
                                          .callbacks = callbacks, .verbose = baseline ? 2 : 1, .seed = s.seed});
    if (history.interrupted && history.steps_trained > 0 && options.out) {
        ae.model.save_weights(options.out->file("weights.safetensors"));
        save_history_csv(options.out->file("history.csv"), history);
    }
    throw_if_interrupted(history);
    return history;
}

Tensor pick(const Tensor& x, const std::vector<std::int64_t>& indices) { return take_rows(x, indices); }

}  // namespace smallnet::ae_mnist
