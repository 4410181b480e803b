// transpose: [m, n] -> [n, m], copied in square tiles so the strided side of the copy stays in
// cache; threads split tile rows of the output.

#include <algorithm>
#include <stdexcept>

#include "tensor/elementwise.hpp"
#include "tensor/elementwise_parallel.hpp"

namespace smallnet {

namespace {

// 32 x 32 floats: a tile of the source and one of the output (8 KB together) sit in L1, and each
// output row of a tile is two cache lines written whole.
constexpr std::int64_t tile = 32;

}  // namespace

void transpose(const Tensor& x, Tensor& out) {
    if (!x.defined() || !out.defined()) throw std::invalid_argument("transpose: an operand is undefined");
    if (x.rank() != 2) throw_shape_error("transpose", x.shape(), "transpose needs a rank-2 tensor");
    const std::int64_t m = x.shape()[0], n = x.shape()[1];
    if (out.shape() != Shape{n, m})
        throw_shape_error("transpose", x.shape(), out.shape(), "the output is not the input's shape reversed");
    if (x.numel() > 1 && out.data() == x.data())
        throw std::invalid_argument("transpose: the output cannot be the input (not done in place)");
    const float* in = x.data();
    float* result = out.data();
    const std::int64_t tile_rows = (n + tile - 1) / tile;  // output rows are input columns
    const std::int64_t grain = std::max<std::int64_t>(detail::parallel_work_threshold / (tile * std::max<std::int64_t>(m, 1)), 1);
    detail::parallel_for(0, tile_rows, grain, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t tr = begin; tr < end; ++tr) {
            const std::int64_t j0 = tr * tile, j1 = std::min(j0 + tile, n);
            for (std::int64_t i0 = 0; i0 < m; i0 += tile) {
                const std::int64_t i1 = std::min(i0 + tile, m);
                for (std::int64_t j = j0; j < j1; ++j)
                    for (std::int64_t i = i0; i < i1; ++i) result[j * m + i] = in[i * n + j];
            }
        }
    });
}

Tensor transpose(const Tensor& x) {
    if (!x.defined()) throw std::invalid_argument("transpose: the input is undefined");
    if (x.rank() != 2) throw_shape_error("transpose", x.shape(), "transpose needs a rank-2 tensor");
    Tensor out(Shape{x.shape()[1], x.shape()[0]});
    transpose(x, out);
    return out;
}

}  // namespace smallnet
