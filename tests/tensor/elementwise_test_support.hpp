#pragma once
// Helpers for the element-wise family's tests: references applied over whole tensors, quantised
// random data whose sums are exact in float, and the thread-count comparison.

#include <cmath>
#include <functional>
#include <vector>

#include "tensor/elementwise.hpp"
#include "tensor/elementwise_reference.hpp"
#include "tests/support.hpp"

namespace smallnet::testing {

// A size above the parallel threshold for every op (several pieces even for the cheapest).
inline constexpr std::int64_t parallel_size = 600'011;

inline std::vector<std::int64_t> sizes_with_parallel() {
    std::vector<std::int64_t> sizes = awkward_sizes;
    sizes.push_back(parallel_size);
    return sizes;
}

// The reference's value rounded to float: what an exactly rounded float kernel returns.
inline std::vector<double> rounded_to_float(std::vector<double> values) {
    for (double& v : values) v = static_cast<double>(static_cast<float>(v));
    return values;
}

inline std::vector<double> map_reference(const Tensor& x, const std::function<double(double)>& f) {
    std::vector<double> out(static_cast<std::size_t>(x.numel()));
    for (std::int64_t i = 0; i < x.numel(); ++i) out[static_cast<std::size_t>(i)] = f(x.data()[i]);
    return out;
}

// Multiples of 1/8 in [-2, 2]: float sums of up to millions of them are exact, so sums can be
// compared exactly and any element counted twice or missed shows.
inline Tensor quantised_tensor(const Shape& shape, std::uint64_t seed) {
    Tensor t = random_tensor(shape, seed);
    for (float& v : t.values()) v = std::round(v * 8.0f) / 8.0f;
    return t;
}

// The same computation at 1, 2 and 3 threads gives bitwise the same tensor.
inline void check_same_for_thread_counts(const std::function<Tensor()>& compute) {
    Tensor one, two, three;
    with_threads(1, [&] { one = compute(); });
    with_threads(2, [&] { two = compute(); });
    with_threads(3, [&] { three = compute(); });
    CHECK(bitwise_equal(one, two));
    CHECK(bitwise_equal(one, three));
}

}  // namespace smallnet::testing
