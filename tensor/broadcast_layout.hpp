#pragma once
// BroadcastLayout: two operands walked along an output shape, with element strides of 0 along the
// dimensions an operand is broadcast over, and adjacent dimensions merged wherever both operands
// stay contiguous across them (internal header). Merging turns the common cases into one or two
// dimensions: same shape -> [n]; [m, n] op [n] -> [m, n] with strides (n, 1) and (0, 1); [2, 3, 4]
// op [4] -> [6, 4]. What is left needs at most the outer loop in the generic path.

#include <cstdint>

#include "tensor/shape.hpp"

namespace smallnet::detail {

struct BroadcastLayout {
    int rank = 0;  // after merging; dimensions of size 1 are dropped, so a single element has rank 0
    std::int64_t dims[Shape::max_rank] = {};
    std::int64_t strides[2][Shape::max_rank] = {};  // per operand, in elements
};

// `out` must be the broadcast of both operand shapes (checked by the caller).
inline BroadcastLayout broadcast_layout(const Shape& out, const Shape& first, const Shape& second) {
    const Shape* operands[2] = {&first, &second};
    std::int64_t contiguous[2][Shape::max_rank];
    for (int o = 0; o < 2; ++o) {
        const Shape& s = *operands[o];
        const int shift = out.rank() - s.rank();
        std::int64_t stride = 1;
        for (int axis = out.rank() - 1; axis >= 0; --axis) {
            const std::int64_t dim = axis >= shift ? s[axis - shift] : 1;
            contiguous[o][axis] = dim == 1 ? 0 : stride;
            stride *= dim;
        }
    }
    BroadcastLayout layout;
    for (int axis = 0; axis < out.rank(); ++axis) {
        if (out[axis] == 1) continue;
        const int last = layout.rank - 1;
        const bool mergeable = last >= 0 && layout.strides[0][last] == contiguous[0][axis] * out[axis] &&
                               layout.strides[1][last] == contiguous[1][axis] * out[axis];
        if (mergeable) {
            layout.dims[last] *= out[axis];
            layout.strides[0][last] = contiguous[0][axis];
            layout.strides[1][last] = contiguous[1][axis];
        } else {
            layout.dims[layout.rank] = out[axis];
            layout.strides[0][layout.rank] = contiguous[0][axis];
            layout.strides[1][layout.rank] = contiguous[1][axis];
            ++layout.rank;
        }
    }
    return layout;
}

// Element offsets of both operands at flat position `index` of the first `rank` dimensions of the
// layout (row-major over those dimensions).
inline void broadcast_offsets(const BroadcastLayout& layout, int rank, std::int64_t index, std::int64_t offsets[2]) {
    offsets[0] = offsets[1] = 0;
    for (int axis = rank - 1; axis >= 0; --axis) {
        const std::int64_t i = index % layout.dims[axis];
        index /= layout.dims[axis];
        offsets[0] += i * layout.strides[0][axis];
        offsets[1] += i * layout.strides[1][axis];
    }
}

}  // namespace smallnet::detail
