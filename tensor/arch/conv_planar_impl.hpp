#pragma once
// The convolution products of one instruction set (PlanarLayout and PlanarProduct in
// tensor/arch/conv_kernels.hpp): the tiling a product's output channels take, and planar_images,
// which copies a stack of images into planes and runs the products' tiles over them. Included by
// conv_impl.hpp.

#include "tensor/arch/conv_channel_tile_impl.hpp"
#include "tensor/arch/conv_common_impl.hpp"
#include "tensor/arch/conv_kernels.hpp"
#include "tensor/arch/conv_pixel_tile_impl.hpp"
#include "tensor/arch/conv_planes_impl.hpp"

namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE::conv {

ProductTiling product_tiling(std::int64_t out_channels) {
    if (2 * out_channels <= lanes) {
        const std::int64_t mr = out_channels <= 1 ? 1 : out_channels <= 2 ? 2 : out_channels <= 4 ? 4 : 8;
        return {true, mr, 1};
    }
    const std::int64_t vectors = smaller((out_channels + lanes - 1) / lanes, max_channel_vectors);
    return {false, vectors * lanes, max_channel_group(vectors)};
}

// The largest tile: a channel tile is accumulators x lanes floats; a pixel tile MR rows of NP
// vectors of positions and, on AVX-512, their transpose (16 floats a position).
constexpr std::int64_t pixel_tile_floats(std::int64_t mr) { return (mr + 16) * pixel_tile_vectors(mr) * lanes; }
constexpr std::int64_t product_scratch = [] {
    std::int64_t most = accumulators * lanes;
    for (const std::int64_t mr : {1, 2, 4, 8}) most = pixel_tile_floats(mr) > most ? pixel_tile_floats(mr) : most;
    return most;
}();

void planar_images(const PlanarLayout& layout, const float* images, std::int64_t count,
                   const PlanarProduct* products, std::int64_t product_count, const ProductTiling& tiling,
                   const ProductOutput& out, float* output, const Scratch& scratch) {
    float* planes = scratch.data;
    float* tile = scratch.data + round_up(layout.floats(), 16);
    if (scratch.clear) fill_zero(planes, layout.floats());
    const std::int64_t image_floats = layout.height * layout.width * layout.channels;
    for (std::int64_t n = 0; n < count; ++n) copy_to_planes(layout, images + n * image_floats, n, planes);
    const std::int64_t blocks = (out.channels + tiling.block - 1) / tiling.block;
    // A step per row of channel tiles, per tile of pixel tiles.
    const std::int64_t pixel_width = pixel_tile_vectors(tiling.block) * lanes;
    std::int64_t steps = 0;
    for (std::int64_t p = 0; p < product_count; ++p)
        steps += blocks * (tiling.pixel_vectors
                               ? (positions_of(layout, products[p], count) + pixel_width - 1) / pixel_width
                               : count * products[p].out_rows);
    Prefetcher prefetcher(scratch, steps);
    for (std::int64_t p = 0; p < product_count; ++p)
        for (std::int64_t block = 0; block < blocks; ++block) {
            const PlanarProduct& product = products[p];
            if (tiling.pixel_vectors) {
                switch (tiling.block) {
                    case 1: pixel_product<1>(layout, planes, product, out, block, output, tile, prefetcher, count); break;
                    case 2: pixel_product<2>(layout, planes, product, out, block, output, tile, prefetcher, count); break;
                    case 4: pixel_product<4>(layout, planes, product, out, block, output, tile, prefetcher, count); break;
                    default: pixel_product<8>(layout, planes, product, out, block, output, tile, prefetcher, count); break;
                }
            } else {
                switch (tiling.block / lanes) {
                    case 1: channel_product_of_group<1>(layout, planes, product, out, block, output, tile, prefetcher, count); break;
                    case 2: channel_product_of_group<2>(layout, planes, product, out, block, output, tile, prefetcher, count); break;
                    case 3: channel_product_of_group<3>(layout, planes, product, out, block, output, tile, prefetcher, count); break;
                    default: channel_product_of_group<4>(layout, planes, product, out, block, output, tile, prefetcher, count); break;
                }
            }
        }
    prefetcher.finish();
}

}  // namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE::conv
