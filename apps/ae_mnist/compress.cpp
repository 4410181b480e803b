// ae_mnist compress / decompress: "image compression". A trained autoencoder's codes of a set of images,
// quantized to --bits per number, make the compressed file (nn/io/code_file.hpp); the decoder turns them
// back into images. compress also measures what that gives: bytes per image against the IDX file, raw
// and gzipped, and the PSNR of the images decompress will return, beside PCA codes at the same bytes.
#include "apps/ae_mnist/ae_mnist.hpp"
#include "nn/io/code_file.hpp"
#include "nn/io/file_error.hpp"
#include "nn/io/idx.hpp"

namespace smallnet::ae_mnist {

namespace {

// The autoencoder saved in --weights, built for images of rows x columns and loaded.
Autoencoder loaded_autoencoder(const Settings& s, std::int64_t rows, std::int64_t columns) {
    Autoencoder ae = saved_autoencoder(s.weights, rows, columns);
    if (ae.encoder.input_shape().rank() == 3) ae.model.build(Shape{rows, columns, 1});
    else ae.model.build(rows * columns);
    ae.model.load_weights(s.weights);
    return ae;
}

// The images as the model takes them: flat, or [rows, columns, 1] for a conv model.
Data model_input(const Autoencoder& ae, const ByteMatrix& images, std::int64_t rows, std::int64_t columns) {
    return ae.encoder.input_shape().rank() == 3 ? Data(images).reshape_samples({rows, columns, 1}) : Data(images);
}

// The images the decoder makes of quantized codes, as the pixels decompress writes.
ByteMatrix decode(Autoencoder& ae, const QuantizedCodes& codes) {
    const Tensor flat = dequantize_codes(codes);
    const Shape& code_shape = ae.encoder.output_shape();
    std::vector<std::int64_t> dims = {flat.size(0)};
    dims.insert(dims.end(), code_shape.begin(), code_shape.end());
    const Tensor images = ae.decoder.predict(Data(flat.reshape(Shape(std::span<const std::int64_t>(dims)))));
    return ByteMatrix::from_floats(images, 1.0f / 255);
}

double ratio(double original, double compressed) { return compressed > 0 ? original / compressed : 0.0; }

// An --output that cannot be a file is said before any work.
void check_output(const std::filesystem::path& output) {
    if (output.empty() || std::filesystem::is_directory(output) || !output.has_filename())
        throw UsageError("--output " + output.string() + " is a folder; give the name of a file to write");
}

}  // namespace

void run_compress(const Settings& s) {
    const std::filesystem::path input = s.input, output = s.output;
    check_output(output);
    const IdxArray idx = read_idx(input);
    if (idx.dims.size() != 3)
        throw FileError(input, "holds an array of " + std::to_string(idx.dims.size()) +
                                   " dimensions; compress takes images [count, rows, columns]");
    const std::int64_t count = idx.dims[0], rows = idx.dims[1], columns = idx.dims[2], pixels = rows * columns;
    const ByteMatrix images(idx.bytes, count, pixels, 1.0f / 255);
    Autoencoder ae = loaded_autoencoder(s, rows, columns);

    // PCA of as many components, on --data's training images, is the baseline at the same bytes.
    MnistSplit train_split = read_mnist_split(s.data, "train");
    if (train_split.images.columns() != pixels)
        throw UsageError("--data holds images of " + std::to_string(train_split.rows) + "x" +
                         std::to_string(train_split.columns) + ", the input " + std::to_string(rows) + "x" +
                         std::to_string(columns) + ": PCA, the baseline, needs training images of the input's size");
    if (s.limit > 0) train_split.images = train_split.images.row_range(0, std::min(s.limit, train_split.images.rows()));

    const Tensor codes = ae.encoder.predict(model_input(ae, images, rows, columns));
    QuantizedCodes quantized = quantize_codes(codes, s.bits);
    quantized.image_rows = rows;
    quantized.image_columns = columns;
    quantized.model_fingerprint = weights_fingerprint(ae.model.get_weights());
    const std::filesystem::path folder = output.has_parent_path() ? output.parent_path() : ".";
    make_output_folder(folder);
    write_code_file(output, quantized);

    const Tensor original = images.to_tensor();
    const ByteMatrix restored = decode(ae, quantized);
    const int components = static_cast<int>(std::min<std::int64_t>(quantized.code_size, pixels));
    const Pca pca = fit_pca(train_split.images, components, {.seed = s.seed});
    QuantizedCodes pca_codes = quantize_codes(pca.transform(images), s.bits);
    const ByteMatrix pca_restored = ByteMatrix::from_floats(pca.inverse_transform(dequantize_codes(pca_codes)), 1.0f / 255);

    const double payload = static_cast<double>(payload_bytes(count, quantized.code_size, s.bits)) / static_cast<double>(count);
    const double file_size = static_cast<double>(std::filesystem::file_size(output));
    const double raw_size = 16.0 + static_cast<double>(count * pixels);  // the IDX header and the pixels
    const double input_size = static_cast<double>(std::filesystem::file_size(input));
    const bool gzipped = input_size < raw_size;  // read_idx takes gzip by its magic bytes, whatever the name
    std::printf("compressed %lld images of %lldx%lld (%s) with %s: %lld numbers per image at %d bits\n",
                static_cast<long long>(count), static_cast<long long>(rows), static_cast<long long>(columns),
                input.string().c_str(), s.weights.c_str(), static_cast<long long>(quantized.code_size), s.bits);
    std::printf("  %-34s %16s %12s\n", "", "bytes per image", "PSNR");
    std::printf("  %-34s %16lld %12s\n", "raw IDX (pixels)", static_cast<long long>(pixels), "");
    if (gzipped) std::printf("  %-34s %16.1f %12s\n", "gzipped IDX (the input)", input_size / static_cast<double>(count), "");
    char against_gzip[64] = "";
    if (gzipped) std::snprintf(against_gzip, sizeof against_gzip, ", %.1f against gzip", ratio(input_size / static_cast<double>(count), payload));
    std::printf("  %-34s %16.1f %9.2f dB   ratio %.1f against raw%s\n", "autoencoder codes (payload)", payload,
                psnr(restored.to_tensor(), original), ratio(static_cast<double>(pixels), payload), against_gzip);
    std::printf("  %-34s %16.1f %9.2f dB\n", ("PCA codes (" + std::to_string(components) + " components)").c_str(),
                static_cast<double>(payload_bytes(count, pca_codes.code_size, s.bits)) / static_cast<double>(count),
                psnr(pca_restored.to_tensor(), original));
    char against_gzip_file[64] = "";
    if (gzipped) std::snprintf(against_gzip_file, sizeof against_gzip_file, ", %.1f against the gzipped one", ratio(input_size, file_size));
    std::printf("  the file, header and per-unit scales included: %.0f bytes, %.2f per image (ratio %.1f against the "
                "raw IDX file%s)\n",
                file_size, file_size / static_cast<double>(count), ratio(raw_size, file_size), against_gzip_file);

    const std::vector<std::int64_t> shown = [&] {
        std::vector<std::int64_t> first(static_cast<std::size_t>(std::min<std::int64_t>(10, count)));
        std::iota(first.begin(), first.end(), std::int64_t{0});
        return first;
    }();
    save_image_grid(folder / "compression.png",
                    {pick(original, shown), pick(restored.to_tensor(), shown), pick(pca_restored.to_tensor(), shown)},
                    static_cast<int>(rows), static_cast<int>(columns), {.scale = 2, .gap = 2});
    print_written_files(stdout, folder, {output.filename().string(), "compression.png"});
}

void run_decompress(const Settings& s) {
    const std::filesystem::path input = s.input, output = s.output;
    check_output(output);
    const QuantizedCodes codes = read_code_file(input);
    Autoencoder ae = loaded_autoencoder(s, codes.image_rows, codes.image_columns);
    const std::uint32_t fingerprint = weights_fingerprint(ae.model.get_weights());
    if (fingerprint != codes.model_fingerprint)
        throw std::runtime_error(input.string() + " was compressed by a model with other weights than " + s.weights +
                                 " (fingerprints " + std::to_string(codes.model_fingerprint) + " and " +
                                 std::to_string(fingerprint) + "): decoded with these, its images would be wrong");
    if (ae.encoder.output_size() != codes.code_size)
        throw std::runtime_error(input.string() + " holds codes of " + std::to_string(codes.code_size) + " numbers, but " +
                                 s.weights + " makes codes of " + std::to_string(ae.encoder.output_size()));
    const ByteMatrix images = decode(ae, codes);
    const std::filesystem::path folder = output.has_parent_path() ? output.parent_path() : ".";
    make_output_folder(folder);
    write_idx(output, {codes.count(), codes.image_rows, codes.image_columns},
              std::span<const std::uint8_t>(images.data(), static_cast<std::size_t>(images.rows() * images.columns())),
              output.extension() == ".gz");
    std::printf("decompressed %lld images of %lldx%lld from %s with %s\n", static_cast<long long>(codes.count()),
                static_cast<long long>(codes.image_rows), static_cast<long long>(codes.image_columns),
                input.string().c_str(), s.weights.c_str());
    print_written_files(stdout, folder, {output.filename().string()});
}

}  // namespace smallnet::ae_mnist
