#pragma once
// The copy of NHWC images into zero-padded (phase) planes, stacked (PlanarLayout in
// tensor/arch/conv_kernels.hpp), for one instruction set. Included by conv_planar_impl.hpp.

#include "tensor/arch/conv_common_impl.hpp"
#include "tensor/arch/conv_kernels.hpp"
#include "tensor/arch/conv_transpose_impl.hpp"

namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE::conv {

// Copies image n of the stack into the planes (their padding is zeroed by the caller). Image row iy
// lands in plane row (iy + pad_top) / stride_rows of the row phase (iy + pad_top) % stride_rows; in
// it, the pixels of column phase b are every stride_columns-th, from the first ix with
// (ix + pad_left) % stride_columns == b.
inline void copy_to_planes(const PlanarLayout& layout, const float* image, std::int64_t n, float* planes) {
    const std::int64_t channels = layout.channels, plane_size = layout.plane_size, width = layout.width;
    planes += n * layout.rows * layout.columns;
    const std::int64_t sr = layout.stride_rows, sc = layout.stride_columns;
    for (std::int64_t iy = 0; iy < layout.height; ++iy) {
        const std::int64_t py = iy + layout.pad_top, a = py % sr, u = py / sr;
        if (u >= layout.rows) continue;
        for (std::int64_t b = 0; b < sc; ++b) {
            const std::int64_t first = ((b - layout.pad_left) % sc + sc) % sc;  // the first ix of phase b
            if (first >= width) continue;
            const std::int64_t v = (first + layout.pad_left) / sc;
            const std::int64_t count = smaller((width - first + sc - 1) / sc, layout.columns - v);
            if (count <= 0) continue;
            pixels_to_planes(image + (iy * width + first) * channels, sc * channels, count, channels,
                             planes + (a * sc + b) * channels * plane_size + u * layout.columns + v, plane_size);
        }
    }
}

// Output positions of a product over `count` stacked images: its raster runs to the last output of
// the last image's last row.
inline std::int64_t positions_of(const PlanarLayout& layout, const PlanarProduct& product, std::int64_t count) {
    if (product.out_rows <= 0 || product.out_columns <= 0 || count <= 0) return 0;
    return ((count - 1) * layout.rows + product.out_rows - 1) * layout.columns + product.out_columns;
}

}  // namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE::conv
