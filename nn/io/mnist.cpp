#include "nn/io/mnist.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>

#include "nn/io/file_error.hpp"
#include "nn/io/idx.hpp"

namespace smallnet {

namespace {

constexpr int max_label = 9;

std::string size_text(const MnistSplit& split) {
    return std::to_string(split.rows) + "x" + std::to_string(split.columns);
}

}  // namespace

std::filesystem::path find_mnist_file(const std::filesystem::path& folder, const std::string& split,
                                      const std::string& part) {
    if (split != "train" && split != "t10k")
        throw FileError(folder, "unknown MNIST split \"" + split + "\"; expected \"train\" or \"t10k\"");
    if (part != "images" && part != "labels")
        throw FileError(folder, "unknown MNIST part \"" + part + "\"; expected \"images\" or \"labels\"");
    // Only a path that is not there is "no such" folder or file; any other failure to look (a loop of
    // symbolic links, a folder without search permission) is said as the system says it.
    std::error_code error;
    const std::filesystem::file_status folder_status = std::filesystem::status(folder, error);
    if (folder_status.type() == std::filesystem::file_type::not_found) throw FileError(folder, "no such folder");
    if (folder_status.type() == std::filesystem::file_type::none)
        throw FileError(folder, "cannot open the folder: " + system_error_text(error.value()));
    if (!std::filesystem::is_directory(folder_status)) throw FileError(folder, "is not a folder");

    const std::string idx = part == "images" ? "idx3-ubyte" : "idx1-ubyte";
    std::string tried;
    for (const std::string& stem : {split + "-" + part + "-" + idx, split + "-" + part + "." + idx})
        for (const char* suffix : {"", ".gz"}) {
            const std::filesystem::path candidate = folder / (stem + suffix);
            const std::filesystem::file_status status = std::filesystem::status(candidate, error);
            if (status.type() == std::filesystem::file_type::none)
                throw FileError(candidate, "cannot open for reading: " + system_error_text(error.value()));
            if (status.type() != std::filesystem::file_type::not_found) return candidate;
            if (std::filesystem::is_symlink(std::filesystem::symlink_status(candidate, error)))
                throw FileError(candidate, "cannot open for reading: " + system_error_text(ENOENT) +
                                               " (a symbolic link to " +
                                               std::filesystem::read_symlink(candidate, error).string() + ")");
            tried += (tried.empty() ? "" : ", ") + stem + suffix;
        }
    throw FileError(folder, "no " + split + " " + part + " file; tried " + tried);
}

MnistSplit read_mnist_split(const std::filesystem::path& folder, const std::string& split) {
    const std::filesystem::path images_path = find_mnist_file(folder, split, "images");
    const std::filesystem::path labels_path = find_mnist_file(folder, split, "labels");
    IdxArray images = read_idx(images_path);
    if (images.dims.size() != 3)
        throw FileError(images_path, 3,
                        std::to_string(images.dims.size()) + " dimensions; images need 3 [count, rows, columns]");
    IdxArray labels = read_idx(labels_path);
    if (labels.dims.size() != 1)
        throw FileError(labels_path, 3, std::to_string(labels.dims.size()) + " dimensions; labels need 1 [count]");
    if (labels.dims[0] != images.dims[0])
        throw FileError(labels_path, "holds " + std::to_string(labels.dims[0]) + " labels but " +
                                         images_path.string() + " holds " + std::to_string(images.dims[0]) +
                                         " images");
    const std::uint64_t header_bytes = 8;  // magic and one dimension
    for (std::size_t i = 0; i < labels.bytes.size(); ++i)
        if (labels.bytes[i] > max_label)
            throw FileError(labels_path, header_bytes + i,
                            "label " + std::to_string(i) + " is " + std::to_string(labels.bytes[i]) +
                                "; labels must be 0 to " + std::to_string(max_label));

    MnistSplit result;
    result.rows = images.dims[1];
    result.columns = images.dims[2];
    result.images = ByteMatrix(std::move(images.bytes), images.dims[0], result.rows * result.columns, 1.0f / 255.0f);
    result.labels = std::move(labels.bytes);
    return result;
}

MnistData read_mnist(const std::filesystem::path& folder) {
    MnistData data;
    data.train = read_mnist_split(folder, "train");
    data.test = read_mnist_split(folder, "t10k");
    if (data.test.rows != data.train.rows || data.test.columns != data.train.columns)
        throw FileError(find_mnist_file(folder, "t10k", "images"),
                        "images are " + size_text(data.test) + " but the train images are " + size_text(data.train));
    return data;
}

std::vector<std::string> mnist_class_names(const std::filesystem::path& folder) {
    std::string path = std::filesystem::absolute(folder).lexically_normal().string();
    std::transform(path.begin(), path.end(), path.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (path.find("fashion") != std::string::npos)
        return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
    return {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
}

}  // namespace smallnet
