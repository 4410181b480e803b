#pragma once
// ConvKernels: the per-instruction-set pieces of the convolutions, max pooling and upsampling
// (tensor/conv.cpp and tensor/pooling.cpp drive them), as a table of plain function pointers over
// plain structs, so the drivers compile once for the baseline. Each kernel works on one image, on a
// per-thread copy of it laid out for its loads, so no im2col matrix is built:
//
// Products (forward, and backward-input: a forward convolution of dy with the kernel flipped, one per
// phase of a strided convolution's input): the image is copied into zero-padded channel planes
// (PlanarLayout). An output position j of a plane's raster (row u, column v at j = u * columns + v)
// is
//     out[j][c] = sum over k < depth of planes[offsets[k] + j] * weights[k][c]
// and the micro-kernel holds a tile of positions x channels in registers, either
//   - channel vectors: a row's positions x a few vectors of output channels, the plane values
//     broadcast, each once for the kernel row's taps that read it (16 or more output channels), or
//   - pixel vectors: a few output channels x a few vectors of raster positions loaded straight from
//     the planes, the weights broadcast (1 to 8 output channels, where a channel vector would be
//     mostly empty); the columns past the output width are computed and dropped.
// The tile is then written to the NHWC output with the bias, the activation or the accumulation.
//
// Dot products (DotShape): a stride-1 convolution to one output channel from whole vectors of input
// channels, on a padded NHWC copy, with vectors over the input channels.
//
// Kernel gradients: dkernel[dy][dx, ci][co] = sum over output pixels p of x[p's patch row dy][dx, ci]
// * dy[p][co]. For a kernel row dy, the kw x in_channels values a patch reads form one contiguous run
// of the zero-padded NHWC image (GradientShape), so the micro-kernel again holds a tile in registers
// and sums over all the image's pixels:
//   - channel vectors: a few run values (broadcast) x vectors of output channels (dy loaded), or
//   - run vectors: vectors of run values (x loaded) x a few output channels (dy broadcast).
//
// Max pooling and upsampling (PoolShape): loops over pixels, vectorized over a pixel's channels.

#include <cstdint>

#include "tensor/activation.hpp"
#include "tensor/simd.hpp"

namespace smallnet::arch {

// Up to `images` NHWC images (height x width x channels) as zero-padded phase planes, stacked: image
// n's rows follow image n - 1's. Padded pixel (py, px) is image pixel (py - pad_top, px - pad_left),
// 0 outside the image; plane (a, b, c), at index (a * stride_columns + b) * channels + c, holds at
// (n * rows + u) * columns + v the channel c of image n's padded pixel (u * stride_rows + a, v *
// stride_columns + b). Planes are plane_size floats apart; `slack` zeros follow the last one, so that
// a tile may read past the last position. Small images are stacked so that a tile of raster
// positions spans several of them (a 4x4 image alone fills a third of a 48-position tile).
struct PlanarLayout {
    std::int64_t height, width, channels;
    std::int64_t stride_rows, stride_columns;
    std::int64_t pad_top, pad_left;
    std::int64_t rows, columns;  // of one image's planes
    std::int64_t images;
    std::int64_t plane_size;
    std::int64_t slack;
    std::int64_t planes() const { return stride_rows * stride_columns * channels; }
    std::int64_t floats() const { return planes() * plane_size + slack; }
};

// One product over the planes into an output grid of out_rows x out_columns per image: image n's
// grid (u, v) is raster position (n * layout.rows + u) * layout.columns + v and lands on its output
// pixel (row0 + u * row_step, column0 + v * column_step).
// A stride-s backward-input pass has s x s of them (one per phase of the output), sharing the planes.
// The terms come in groups of group_size taps of one kernel row that read consecutive plane values
// (term g of a group reads g floats after the group's offset): a channel tile then broadcasts each
// plane value once for up to group_size outputs of a row. Output column v reads from column
// v * column_stride of the planes: 1 but for a channel tile of a stride-2 convolution, whose planes
// then keep their columns whole (stride_columns 1) so that the 3 taps of a kernel row still read
// values 0, 1, 2 after the group's offset.
struct PlanarProduct {
    std::int64_t groups;           // 0: the output is the bias alone
    std::int64_t group_size;
    std::int64_t column_stride;
    const std::int64_t* offsets;   // [groups]: where a group reads, relative to the output's position
    const float* weights;          // [channel blocks][groups * group_size][block], zero past the channels
    std::int64_t out_rows, out_columns;
    std::int64_t row0, column0, row_step, column_step;
};

// The NHWC image a product writes (height x width x channels), and how.
struct ProductOutput {
    std::int64_t height, width, channels;
    bool accumulate;  // += (no bias, no activation); otherwise =
    const float* bias;
    Activation activation;
    float negative_slope;
};

// How a product's output channels are tiled: `block` channels per weight block (the packed
// weights' last dimension), as channel vectors or pixel vectors; and the largest group of terms the
// tile takes (1 for pixel vectors, whose loads gain nothing from it).
struct ProductTiling {
    bool pixel_vectors;
    std::int64_t block;
    std::int64_t max_group;
};

// A stride-1 convolution to one output channel, 3 kernel columns and in_channels a multiple of the
// vector width (the models' last layers, 16 or 32 channels to 1): the image is copied into a
// zero-padded NHWC image of padded_rows x padded_columns pixels, and each output is a dot product
// over (dy, dx, ci) with vectors over the input channels. A tile of a row's outputs loads each input
// pixel once for the 3 outputs that read it, and the tile's sums are reduced across lanes together.
struct DotShape {
    std::int64_t in_height, in_width, in_channels;
    std::int64_t out_height, out_width;
    std::int64_t kernel_height;
    std::int64_t pad_top, pad_left;
    std::int64_t padded_rows, padded_columns;
};

// The kernel gradient of one image. x is copied into a zero-padded NHWC image of padded_rows x
// padded_columns pixels (image pixel (iy, ix) at (iy + pad_top, ix + pad_left)); output pixel
// (oy, ox)'s kernel row dy reads the run of kernel_width * in_channels floats at padded pixel
// (oy * stride_rows + dy, ox * stride_columns).
struct GradientShape {
    std::int64_t in_height, in_width, in_channels;
    std::int64_t out_height, out_width, out_channels;
    std::int64_t kernel_height, kernel_width, stride_rows, stride_columns;
    std::int64_t pad_top, pad_left;
    std::int64_t padded_rows, padded_columns;
};

// The layout of one group's partial kernel gradient, chosen by the instruction set:
//   channel vectors: partial[dy][t][co] at (dy * run_padded + t) * channels_padded + co
//   run vectors:     partial[dy][co][t] at (dy * channels_padded + co) * run_padded + t
// where t = dx * in_channels + ci. Entries past the run or the channels hold garbage.
struct GradientTiling {
    bool run_vectors;
    // Run vectors for one output channel, stride 1 along rows and 3 kernel columns: each row of x is
    // walked once and a loaded vector serves the 3 outputs whose patches read it (rather than one
    // vector loaded per multiply-add).
    bool reuse_columns;
    std::int64_t rows;          // kernel rows a tile holds
    std::int64_t run_block;     // run values a tile holds (a multiple of the vector width for run vectors)
    std::int64_t channel_block; // output channels a tile holds
    std::int64_t run_padded, channels_padded;
    std::int64_t partial_floats(std::int64_t kernel_height) const { return kernel_height * run_padded * channels_padded; }
};

// One image's max pooling: windows of pool_height x pool_width, stride_height x stride_width apart,
// output (oy, ox)'s starting at pixel (oy * stride_height - pad_top, ox * stride_width - pad_left),
// clipped to the image (tensor/pooling.hpp's Pool2dGeometry).
struct PoolShape {
    std::int64_t in_height, in_width, channels;
    std::int64_t out_height, out_width;
    std::int64_t pool_height, pool_width, stride_height, stride_width;
    std::int64_t pad_top, pad_left;
};

// Per-image housekeeping: the thread's scratch space, whether its zero padding must be written, and
// the image the thread reads next (null: none), which a product prefetches a slice at a time while it
// computes this one: a 32-channel layer's input streams from L3, and its first-touch loads otherwise
// stall the copy into the planes (10 to 15% of the layer). The kernel gradient, which reads two
// images, does better prefetching each row of x a little ahead inside its copy.
struct Scratch {
    float* data;
    bool clear;
    const float* next;
    std::int64_t next_floats;
};

struct ConvKernels {
    // Max pooling and upsampling of one image (tensor/pooling.hpp says what they compute).
    void (*max_pool_image)(const PoolShape& shape, const float* x, float* y);
    void (*max_pool_backward_image)(const PoolShape& shape, const float* x, const float* y, const float* dy, float* dx,
                                    bool accumulate);
    void (*upsample_image)(std::int64_t height, std::int64_t width, std::int64_t channels, std::int64_t factor_height,
                           std::int64_t factor_width, const float* x, float* y);
    void (*upsample_backward_image)(std::int64_t height, std::int64_t width, std::int64_t channels,
                                    std::int64_t factor_height, std::int64_t factor_width, const float* dy, float* dx,
                                    bool accumulate);

    ProductTiling (*product_tiling)(std::int64_t out_channels);
    // Floats of scratch space planar_image needs beyond layout.floats() (its tiles).
    std::int64_t product_scratch;
    // Copies `count` (at most layout.images) consecutive images into the planes in the scratch
    // space, then runs the products into their outputs. The planes' padding is zeroed only when
    // scratch.clear: a thread that copies image after image of one layout writes the same interior
    // each time, so the zeros around it stay.
    void (*planar_images)(const PlanarLayout& layout, const float* images, std::int64_t count,
                          const PlanarProduct* products, std::int64_t product_count, const ProductTiling& tiling,
                          const ProductOutput& out, float* output, const Scratch& scratch);

    // The input channels dot_image takes are a multiple of this (the vector width).
    std::int64_t dot_channels;
    // Floats of scratch space dot_image needs.
    std::int64_t (*dot_scratch)(const DotShape& shape);
    // y (one image, one channel) = activation(conv(image, kernel) + bias); scratch as for planar_image.
    void (*dot_image)(const DotShape& shape, const float* image, const float* kernel, const ProductOutput& out,
                      float* output, const Scratch& scratch);

    GradientTiling (*gradient_tiling)(const GradientShape& shape);
    // Floats of scratch space gradient_image needs for `shape`.
    std::int64_t (*gradient_scratch)(const GradientShape& shape, const GradientTiling& tiling);
    // partial (= when `first`, else +=) the kernel gradient of one image, in the tiling's layout.
    // scratch as for planar_image: the padded copy of x keeps its zero border between images.
    void (*gradient_image)(const GradientShape& shape, const GradientTiling& tiling, const float* x, const float* dy,
                           float* partial, bool first, const Scratch& scratch);
};

namespace avx512 { extern const ConvKernels conv_table; }
namespace avx2 { extern const ConvKernels conv_table; }
namespace sse2 { extern const ConvKernels conv_table; }

// The table of one instruction set (which this CPU must be able to run), and of the active one.
const ConvKernels& conv_kernels(InstructionSet set);
const ConvKernels& conv_kernels();

}  // namespace smallnet::arch
