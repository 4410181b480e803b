#include <cstring>

#include "nn/io/idx.hpp"
#include "nn/io/mnist.hpp"
#include "tests/nn/io_support.hpp"

using namespace smallnet;
using namespace smallnet::testing;

namespace {

struct SmallSet {
    std::vector<std::uint8_t> train_images, train_labels, test_images, test_labels;
};

// 5 train and 2 test images of 4x3 pixels.
SmallSet small_set() {
    SmallSet set;
    for (int i = 0; i < 5 * 12; ++i) set.train_images.push_back(static_cast<std::uint8_t>(i * 4));
    for (int i = 0; i < 2 * 12; ++i) set.test_images.push_back(static_cast<std::uint8_t>(255 - i));
    set.train_labels = {3, 0, 9, 1, 7};
    set.test_labels = {9, 2};
    return set;
}

// The four files under one spelling: "-" or "." before idxN, with `suffix` ("" or ".gz").
void write_set(const std::filesystem::path& folder, const SmallSet& set, const std::string& separator,
               const std::string& suffix) {
    const bool gzip = suffix == ".gz";
    write_idx(folder / ("train-images" + separator + "idx3-ubyte" + suffix), {5, 4, 3}, set.train_images, gzip);
    write_idx(folder / ("train-labels" + separator + "idx1-ubyte" + suffix), {5}, set.train_labels, gzip);
    write_idx(folder / ("t10k-images" + separator + "idx3-ubyte" + suffix), {2, 4, 3}, set.test_images, gzip);
    write_idx(folder / ("t10k-labels" + separator + "idx1-ubyte" + suffix), {2}, set.test_labels, gzip);
}

bool same_bytes(const ByteMatrix& m, const std::vector<std::uint8_t>& bytes) {
    return static_cast<std::size_t>(m.rows() * m.columns()) == bytes.size() &&
           std::memcmp(m.data(), bytes.data(), bytes.size()) == 0;
}

}  // namespace

TEST_SUITE("nn.io_mnist") {

TEST_CASE("every file spelling is found and read into images [count, rows·columns] and labels") {
    const SmallSet set = small_set();
    for (const std::string separator : {"-", "."})
        for (const std::string suffix : {"", ".gz"}) {
            CAPTURE(separator);
            CAPTURE(suffix);
            TemporaryFolder folder;
            write_set(folder.path(), set, separator, suffix);
            const MnistData data = read_mnist(folder.path());
            CHECK(data.train.rows == 4);
            CHECK(data.train.columns == 3);
            CHECK(data.train.images.rows() == 5);
            CHECK(data.train.images.columns() == 12);
            CHECK(data.train.images.scale() == 1.0f / 255.0f);
            CHECK(same_bytes(data.train.images, set.train_images));
            CHECK(data.train.labels == set.train_labels);
            CHECK(data.test.images.rows() == 2);
            CHECK(same_bytes(data.test.images, set.test_images));
            CHECK(data.test.labels == set.test_labels);
        }
}

TEST_CASE("one split alone, and spellings mixed within a folder") {
    const SmallSet set = small_set();
    TemporaryFolder folder;
    write_idx(folder / "t10k-images.idx3-ubyte.gz", {2, 4, 3}, set.test_images, true);
    write_idx(folder / "t10k-labels-idx1-ubyte", {2}, set.test_labels);
    const MnistSplit test = read_mnist_split(folder.path(), "t10k");
    CHECK(same_bytes(test.images, set.test_images));
    CHECK(test.labels == set.test_labels);
    CHECK(find_mnist_file(folder.path(), "t10k", "images") == folder / "t10k-images.idx3-ubyte.gz");
}

TEST_CASE("a missing file names the folder and every name tried") {
    const SmallSet set = small_set();
    TemporaryFolder folder;
    write_set(folder.path(), set, "-", "");
    std::filesystem::remove(folder / "t10k-labels-idx1-ubyte");
    CHECK(file_error_of([&] { read_mnist(folder.path()); }) ==
          folder.path().string() +
              ": no t10k labels file; tried t10k-labels-idx1-ubyte, t10k-labels-idx1-ubyte.gz, "
              "t10k-labels.idx1-ubyte, t10k-labels.idx1-ubyte.gz");
    CHECK(file_error_of([&] { read_mnist(folder / "nowhere"); }) == (folder / "nowhere").string() + ": no such folder");
    CHECK(file_error_of([&] { read_mnist(folder / "train-images-idx3-ubyte"); }) ==
          (folder / "train-images-idx3-ubyte").string() + ": is not a folder");
    CHECK(file_error_of([&] { read_mnist_split(folder.path(), "test"); }) ==
          folder.path().string() + ": unknown MNIST split \"test\"; expected \"train\" or \"t10k\"");
}

TEST_CASE("labels must match the images in count and be 0 to 9") {
    const SmallSet set = small_set();
    TemporaryFolder folder;
    write_set(folder.path(), set, "-", "");
    const auto labels = folder / "train-labels-idx1-ubyte";
    const auto images = folder / "train-images-idx3-ubyte";

    write_idx(labels, {4}, std::vector<std::uint8_t>{1, 2, 3, 4});
    CHECK(file_error_of([&] { read_mnist(folder.path()); }) ==
          labels.string() + ": holds 4 labels but " + images.string() + " holds 5 images");

    write_idx(labels, {5}, std::vector<std::uint8_t>{1, 2, 3, 12, 4});
    CHECK(file_error_of([&] { read_mnist(folder.path()); }) ==
          labels.string() + ": offset 11: label 3 is 12; labels must be 0 to 9");

    write_idx(labels, {5, 1}, std::vector<std::uint8_t>{1, 2, 3, 4, 5});
    CHECK(file_error_of([&] { read_mnist(folder.path()); }) ==
          labels.string() + ": offset 3: 2 dimensions; labels need 1 [count]");
}

TEST_CASE("images need 3 dimensions, and the test images the train images' size") {
    const SmallSet set = small_set();
    TemporaryFolder folder;
    write_set(folder.path(), set, "-", "");
    const auto train_images = folder / "train-images-idx3-ubyte";
    write_idx(train_images, {5, 12}, set.train_images);
    CHECK(file_error_of([&] { read_mnist(folder.path()); }) ==
          train_images.string() + ": offset 3: 2 dimensions; images need 3 [count, rows, columns]");

    write_idx(train_images, {5, 3, 4}, set.train_images);
    CHECK(file_error_of([&] { read_mnist(folder.path()); }) ==
          (folder / "t10k-images-idx3-ubyte").string() + ": images are 4x3 but the train images are 3x4");
}

TEST_CASE("a broken file in the set reports that file") {
    const SmallSet set = small_set();
    TemporaryFolder folder;
    write_set(folder.path(), set, "-", ".gz");
    const auto images = folder / "t10k-images-idx3-ubyte.gz";
    std::string bytes = read_raw(images);
    write_raw(images, bytes.substr(0, bytes.size() - 3));
    CHECK(file_error_of([&] { read_mnist(folder.path()); }).rfind(images.string() + ": offset ", 0) == 0);
}

}  // TEST_SUITE
