#pragma once
// The plans tensor/conv.cpp hands to the convolution kernels (tensor/arch/conv_kernels.hpp): for a
// geometry, the planes' layout, the products with their term offsets and packed weights, and the
// kernel gradient's shape. Built once per call, on the calling thread, into storage that is reused
// from call to call, so a steady stream of convolutions allocates nothing.

#include <cstdint>
#include <vector>

#include "tensor/arch/conv_kernels.hpp"
#include "tensor/conv.hpp"

namespace smallnet::arch {

// A growing 64-byte-aligned float buffer.
class AlignedFloats {
public:
    AlignedFloats() = default;
    AlignedFloats(const AlignedFloats&) = delete;
    AlignedFloats& operator=(const AlignedFloats&) = delete;
    ~AlignedFloats();
    // At least `count` floats; `fresh` (when given) says whether the memory is new, its contents lost.
    float* reserve(std::int64_t count, bool* fresh = nullptr);

private:
    float* data_ = nullptr;
    std::int64_t capacity_ = 0;
};

struct ProductPlan {
    PlanarLayout layout{};
    ProductTiling tiling{};
    std::vector<PlanarProduct> products;
    std::vector<std::int64_t> offsets;
    AlignedFloats weights;

    // The kernel element each term of the products reads, for the packing.
    std::vector<std::int64_t> term_rows;
    // backward_input's phases of dx and the kernel taps that reach each, per axis.
    struct AxisTap {
        std::int64_t index;  // dy or dx
        std::int64_t shift;  // the dy row (column) read, relative to the output's
    };
    struct Phase {
        std::int64_t a, b;            // dx pixel (a + u * stride_h, b + v * stride_w)
        std::int64_t rows, columns;   // its outputs
        std::int64_t first_row, row_count;        // in row_taps
        std::int64_t first_column, column_count;  // in column_taps
        std::int64_t group_size;
    };
    std::vector<Phase> phases;
    std::vector<AxisTap> row_taps, column_taps;
    std::vector<std::int64_t> column_first;

    // y = conv(x, kernel): the planes are x's (stride x stride phases), one product.
    void forward(const Conv2dGeometry& g, const float* kernel, const ConvKernels& kernels);
    // dx = the transposed convolution of dy: the planes are dy's, one product per phase of dx (the
    // taps of the kernel that reach it), each a stride-1 convolution with the kernel flipped and its
    // channels swapped.
    void backward_input(const Conv2dGeometry& g, const float* kernel, const ConvKernels& kernels);
};

GradientShape gradient_shape(const Conv2dGeometry& g);

}  // namespace smallnet::arch
