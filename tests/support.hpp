#pragma once
// Helpers shared by the tests: random tensors, closeness with the worst element reported, and a loop
// over every instruction set this CPU can run.

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "tensor/creation.hpp"
#include "tensor/simd.hpp"
#include "tensor/tensor.hpp"
#include "tensor/threads.hpp"

namespace smallnet::testing {

// Sizes every kernel is tried on: empty, tiny, not multiples of any vector width, and nice ones.
inline const std::vector<std::int64_t> awkward_sizes = {0, 1, 3, 17, 255, 257, 1024, 4099};

inline Tensor random_tensor(const Shape& shape, std::uint64_t seed, float low = -2.0f, float high = 2.0f) {
    Generator generator(seed);
    return uniform(shape, low, high, generator);
}

// Where two buffers differ most relative to atol + rtol * |expected|; empty message when they are close.
struct Closeness {
    bool close = true;
    std::string message;
};

inline Closeness compare(const float* actual, const double* expected, std::int64_t count, double atol, double rtol) {
    Closeness result;
    double worst_excess = 0.0;
    std::int64_t worst = -1;
    for (std::int64_t i = 0; i < count; ++i) {
        const double a = actual[i], e = expected[i];
        const double error = std::fabs(a - e);
        const double allowed = atol + rtol * std::fabs(e);
        const bool bad = !(error <= allowed) && !(std::isnan(a) && std::isnan(e)) && !(a == e);
        if (bad && (worst < 0 || error - allowed > worst_excess || std::isnan(error))) {
            worst_excess = error - allowed;
            worst = i;
        }
    }
    if (worst >= 0) {
        std::ostringstream s;
        s.precision(9);
        s << "worst element " << worst << ": actual " << actual[worst] << ", expected " << expected[worst]
          << " (atol " << atol << ", rtol " << rtol << ")";
        result.close = false;
        result.message = s.str();
    }
    return result;
}

inline Closeness compare(const Tensor& actual, const std::vector<double>& expected, double atol, double rtol) {
    if (static_cast<std::int64_t>(expected.size()) != actual.numel())
        return {false, "element counts differ: " + std::to_string(actual.numel()) + " vs " +
                           std::to_string(expected.size())};
    return compare(actual.data(), expected.data(), actual.numel(), atol, rtol);
}

#define CHECK_CLOSE(closeness)                                 \
    do {                                                       \
        const auto check_close_result = (closeness);           \
        INFO(check_close_result.message);                      \
        CHECK(check_close_result.close);                       \
    } while (0)

inline bool bitwise_equal(const Tensor& a, const Tensor& b) {
    if (a.shape() != b.shape()) return false;
    for (std::int64_t i = 0; i < a.numel(); ++i) {
        const float x = a.data()[i], y = b.data()[i];
        if (std::memcmp(&x, &y, sizeof(float)) != 0) return false;
    }
    return true;
}

// Runs `body` once per instruction set the CPU runs, with that set active, restoring the old one.
template <class Body>
void for_each_instruction_set(Body&& body) {
    const InstructionSet saved = active_instruction_set();
    for (InstructionSet set : available_instruction_sets()) {
        set_instruction_set(set);
        CAPTURE(instruction_set_name(set));
        body(set);
    }
    set_instruction_set(saved);
}

// Runs `body` with `count` worker threads, restoring the previous count.
template <class Body>
void with_threads(int count, Body&& body) {
    const int saved = num_threads();
    set_num_threads(count);
    body();
    set_num_threads(saved);
}

}  // namespace smallnet::testing
