// Loading the data and training, as every subcommand does it.
#include "apps/ae_mnist/ae_mnist.hpp"

namespace smallnet::ae_mnist {

namespace {

// "1 test image", "20 test images".
std::string images_text(std::int64_t count, const std::string& split) {
    return std::to_string(count) + " " + split + " image" + (count == 1 ? "" : "s");
}

// What load() checks: a value wrong only for this data would otherwise fail at the end of the run
// (PCA, the anomaly scores), its training thrown away.
void check_against_data(const Settings& s, const MnistData& data) {
    const std::int64_t train_rows = data.train.images.rows(), test_rows = data.test.images.rows();
    const std::int64_t pixels = data.train.images.columns();
    const std::string after_limit = s.limit > 0 ? ", after --limit " + std::to_string(s.limit) : "";
    // PCA, beside the autoencoder in train, conv and classify, needs two images for a covariance and
    // has at most one component per pixel. The autoencoders take a code of any size, wider than the
    // image too, so the subcommands without PCA allow any --bottleneck.
    const bool pca = s.command == "train" || s.command == "conv" || s.command == "classify";
    const std::string baseline = "PCA, the baseline this run compares with, ";
    if (pca && train_rows < 2) {
        if (s.limit == 1)
            throw UsageError("--limit 1 leaves " + images_text(train_rows, "training") + "; " + baseline +
                             "needs at least 2: use --limit 2 or more (0: all)");
        throw UsageError("--data " + s.data + " holds " + images_text(train_rows, "training") + "; " + baseline +
                         "needs at least 2");
    }
    if (s.command == "train" && s.bottleneck > pixels)
        throw UsageError("--bottleneck " + std::to_string(s.bottleneck) + " is more than the " + std::to_string(pixels) +
                         " pixels of an image: " + baseline + "has at most " + std::to_string(pixels) +
                         " components; use at most " + std::to_string(pixels));
    if (s.command == "anomaly") {
        const auto of_class = [&](const MnistSplit& split) {
            return static_cast<std::int64_t>(std::count(split.labels.begin(), split.labels.end(), s.anomaly_class));
        };
        const std::string flag = "--anomaly-class " + std::to_string(s.anomaly_class);
        const std::string class_name = "class " + std::to_string(s.anomaly_class);
        const std::string advice = s.limit > 0 ? "use a larger --limit or another class" : "use another class";
        if (of_class(data.train) == train_rows)
            throw UsageError(flag + " leaves no training image: every training image is of " + class_name + " (of " +
                             images_text(train_rows, "training") + after_limit + "); " + advice);
        if (of_class(data.test) == 0)
            throw UsageError(flag + ": no test image is of " + class_name + " (of " + images_text(test_rows, "test") +
                             after_limit + "), so there is nothing to detect; " + advice);
        if (of_class(data.test) == test_rows)
            throw UsageError(flag + ": every test image is of " + class_name + " (of " + images_text(test_rows, "test") +
                             after_limit + "), so none is normal to tell it from; " + advice);
    }
}

}  // namespace

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
    check_against_data(s, data);
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
        callbacks.push_back(ModelCheckpoint(checkpoint, {.whole_model = true}));  // after every epoch
    }
    // Built already when its encoder starts with Input (from --seed, given to make_*); else here, so
    // that the summary can count the weights.
    ae.model.build(x.sample_shape());
    if (!baseline) std::printf("%s", ae.model.summary().c_str());
    CompileOptions compile = options.compile;
    compile.precision = parse_precision(s.precision);
    std::uint64_t seed = s.seed;
    std::int64_t batch_size = s.batch_size;
    int initial_epoch = 0;
    if (!s.resume.empty() && !baseline) {
        Sequential saved = load_model(s.resume);
        if (saved.sequential_module().config().children != ae.model.sequential_module().config().children)
            throw UsageError("--resume " + s.resume + ": it holds model '" + saved.name() + "' (" +
                             std::to_string(saved.weights().numel()) + " weights), not the '" + ae.model.name() + "' (" +
                             std::to_string(ae.model.weights().numel()) + " weights) that `" + s.command +
                             "` trains with these flags");
        if (!saved.sequential_module().optimizer)
            throw UsageError("--resume " + s.resume + ": the model in it was never compiled, so it has no training to go on with");
        initial_epoch = saved.epochs_trained();
        if (initial_epoch >= s.epochs)
            throw UsageError("--resume " + s.resume + ": it has trained " + std::to_string(initial_epoch) +
                             " epochs already; ask for more with --epochs (the total, as Keras' epochs)");
        const History& done = saved.history();
        if ((s.seed_given && s.seed != done.seed) || (s.batch_size_given && s.batch_size != done.batch_size))
            throw UsageError("--resume " + s.resume + ": it was trained with --seed " + std::to_string(done.seed) +
                             " and --batch-size " + std::to_string(done.batch_size) +
                             "; a resumed run goes on with those (leave the flags out)");
        seed = done.seed;
        batch_size = done.batch_size;
        // A run goes on in the precision it was trained in, unless --precision says otherwise.
        Precision& precision = saved.sequential_module().compile_options.precision;
        if (s.precision_given) precision = compile.precision;
        else compile.precision = precision;
        if (precision == Precision::bf16 && bf16_instruction_set() == Bf16InstructionSet::none)
            throw UsageError("--resume " + s.resume + ": it was trained in bf16, whose products need the AVX512_BF16 "
                             "instruction set, which this CPU lacks or SMALLNET_SIMD turned off; go on in fp32 with --precision fp32");
        std::printf("resuming %s after epoch %d (seed %llu, batch size %lld, %s)\n", s.resume.c_str(), initial_epoch,
                    static_cast<unsigned long long>(seed), static_cast<long long>(batch_size),
                    std::string(precision_name(precision)).c_str());
        ae.model = saved;
        ae.encoder = saved.get_model("encoder");
        ae.decoder = saved.get_model("decoder");
    } else {
        ae.model.compile(Adam(), s.loss, compile);
    }
    if (!baseline)
        std::printf("products: %s on %s\n", std::string(precision_name(compile.precision)).c_str(),
                    std::string(compile.precision == Precision::bf16 ? instruction_set_name(bf16_instruction_set())
                                                                     : instruction_set_name(active_instruction_set()))
                        .c_str());
    History history = ae.model.fit(x, x, {.epochs = s.epochs, .batch_size = batch_size, .initial_epoch = initial_epoch,
                                          .validation_data = {validation, validation}, .callbacks = callbacks,
                                          .verbose = baseline ? 2 : 1, .seed = seed});
    // The history files and plots show the whole run, the epochs before --resume too.
    history.epochs = ae.model.history().epochs;
    if (history.interrupted && history.steps_trained > 0 && options.out) {
        ae.model.save_weights(options.out->file("weights.safetensors"));
        ae.model.save(options.out->file("model.safetensors"));  // --resume goes on from it
        save_history_csv(options.out->file("history.csv"), history);
    }
    throw_if_interrupted(history);
    return history;
}

Tensor pick(const Tensor& x, const std::vector<std::int64_t>& indices) { return take_rows(x, indices); }

}  // namespace smallnet::ae_mnist
