#pragma once
// Size2D: a height and a width, as Keras' int-or-tuple arguments: Size2D(3) is 3 x 3, Size2D{3, 2}
// is 3 high and 2 wide.

#include <cstdint>

namespace smallnet {

struct Size2D {
    Size2D(std::int64_t both) : height(both), width(both) {}  // NOLINT: implicit, as Keras' `3`
    Size2D(std::int64_t height, std::int64_t width) : height(height), width(width) {}
    std::int64_t height, width;
};

}  // namespace smallnet
