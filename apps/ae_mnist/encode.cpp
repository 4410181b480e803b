// ae_mnist encode: a saved model's codes of a data set.
#include "apps/ae_mnist/ae_mnist.hpp"

namespace smallnet::ae_mnist {

// The autoencoder a weight file was saved from, rebuilt from the shapes in it: the dense one (sizes
// from its kernels) or one of the conv models (told apart by their first kernel's filters).
Autoencoder saved_autoencoder(const std::filesystem::path& weights, const MnistSplit& split) {
    return saved_autoencoder(weights, split.rows, split.columns);
}

Autoencoder saved_autoencoder(const std::filesystem::path& weights, std::int64_t rows, std::int64_t columns) {
    const NamedTensors tensors = load_safetensors(weights);
    const auto shape_of = [&](const std::string& name) -> const Shape& {
        for (const auto& [key, tensor] : tensors)
            if (key == name) return tensor.shape();
        throw std::runtime_error(weights.string() + ": not an ae_mnist weight file (no tensor '" + name + "')");
    };
    const Shape& first = shape_of("encoder.0.kernel");
    if (first.rank() == 4 && first[3] == 16) return make_conv_autoencoder(Shape{rows, columns, 1});
    if (first.rank() == 4 && first[3] == 32) return make_conv_denoiser(Shape{rows, columns, 1}, {});
    const Shape& second = shape_of("encoder.1.kernel");
    if (first.rank() != 2 || second.rank() != 2)
        throw std::runtime_error(weights.string() + ": not an ae_mnist weight file (encoder.0.kernel is " +
                                 first.to_string() + ")");
    if (rows * columns != first[0])
        throw std::runtime_error(weights.string() + " is for images of " + std::to_string(first[0]) +
                                 " pixels, but the data holds images of " + std::to_string(rows * columns));
    return make_autoencoder(first[0], second[1], first[1]);
}

void run_encode(const Settings& s) {
    OutputFolder out(s.out, {"codes.npy", "codes.csv"});
    MnistSplit split = read_mnist_split(s.data, s.split == "train" ? "train" : "t10k");
    if (s.limit > 0) {
        const std::int64_t n = std::min(s.limit, split.images.rows());
        split.images = split.images.row_range(0, n);
        split.labels.resize(static_cast<std::size_t>(n));
    }
    Autoencoder ae = saved_autoencoder(s.weights, split);
    const Data images = ae.encoder.input_shape().rank() == 3 ? Data(split.images).reshape_samples(image_shape(split))
                                                            : Data(split.images);
    ae.model.build(images.sample_shape());
    ae.model.load_weights(s.weights);

    const Tensor codes = ae.encoder.predict(images);
    save_npy(out.file("codes.npy"), codes);
    const Tensor rows = codes.reshape({codes.size(0), -1});  // a conv code [4, 4, 8] as 128 columns
    CsvTable table{{"label"}, {}};
    for (std::int64_t j = 0; j < rows.size(1); ++j) table.header.push_back("code" + std::to_string(j + 1));
    for (std::int64_t i = 0; i < rows.size(0); ++i) {
        std::vector<double> row = {static_cast<double>(split.labels[static_cast<std::size_t>(i)])};
        for (std::int64_t j = 0; j < rows.size(1); ++j) row.push_back(rows.data()[i * rows.size(1) + j]);
        table.rows.push_back(std::move(row));
    }
    save_csv(out.file("codes.csv"), table);
    std::printf("encoded the %lld %s images of %s with %s: %lld codes of shape %s\n",
                static_cast<long long>(codes.size(0)), s.split.c_str(), s.data.c_str(), s.weights.c_str(),
                static_cast<long long>(codes.size(0)), batch_shape_string(ae.encoder.output_shape()).c_str());
    out.commit();
    print_written_files(stdout, out.path(), out.files());
}

}  // namespace smallnet::ae_mnist
