// Picking rows of a labelled data set: given rows, a balanced labelled subset drawn per class.
#include <algorithm>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "nn/datasets/subset.hpp"
#include "tests/support.hpp"

using namespace smallnet;

TEST_SUITE("nn.subset") {

TEST_CASE("sample_per_class draws the count of every class, distinct, sorted, reproducible from the seed") {
    std::vector<std::uint8_t> labels;
    for (int i = 0; i < 1000; ++i) labels.push_back(static_cast<std::uint8_t>((i * 7) % 10));
    for (const std::int64_t per_class : {std::int64_t{0}, std::int64_t{1}, std::int64_t{17}, std::int64_t{100}}) {
        CAPTURE(per_class);
        Generator a(5), b(5), c(6);
        const auto picked = sample_per_class(labels, 10, per_class, a);
        CHECK(static_cast<std::int64_t>(picked.size()) == 10 * per_class);
        CHECK(std::is_sorted(picked.begin(), picked.end()));
        CHECK(std::set<std::int64_t>(picked.begin(), picked.end()).size() == picked.size());
        const std::vector<std::uint8_t> picked_labels = take_labels(labels, picked);
        for (int k = 0; k < 10; ++k) CHECK(std::count(picked_labels.begin(), picked_labels.end(), k) == per_class);
        CHECK(sample_per_class(labels, 10, per_class, b) == picked);
        if (per_class > 0 && per_class < 100) CHECK(sample_per_class(labels, 10, per_class, c) != picked);
    }
    Generator generator(1);
    CHECK_THROWS_WITH_AS(sample_per_class(labels, 11, 1, generator), doctest::Contains("class 10 has 0 samples"),
                         std::invalid_argument);
    CHECK_THROWS_AS(sample_per_class(labels, 10, 101, generator), std::invalid_argument);
}

TEST_CASE("take_labels keeps the order asked for and refuses an index outside the labels") {
    const std::vector<std::uint8_t> labels = {3, 1, 4, 1, 5};
    CHECK(take_labels(labels, std::vector<std::int64_t>{4, 0, 2}) == std::vector<std::uint8_t>{5, 3, 4});
    CHECK(take_labels(labels, std::vector<std::int64_t>{}).empty());
    CHECK_THROWS_AS(take_labels(labels, std::vector<std::int64_t>{5}), std::out_of_range);
}

}  // TEST_SUITE
