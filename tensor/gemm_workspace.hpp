#pragma once
// GemmWorkspace: each thread's scratch space for a GEMM driver (tensor/matmul.cpp in fp32,
// tensor/matmul_bf16.cpp in bf16): its packed panels and the scratch tile of the edges (internal header).

#include <cstdint>

#include "tensor/aligned_buffer.hpp"

namespace smallnet::detail {

// The largest register tile of any kernel, for the edge-tile scratch space.
inline constexpr std::int64_t max_tile_elements = 16 * 64;
inline constexpr std::int64_t max_tile_columns = 64;

// `Packed` is what the panels hold: float, or a bf16 pair. A task never waits for another task while
// using the workspace, so a worker thread cannot start a second task that would share it.
template <class Packed>
struct GemmWorkspace {
    AlignedBuffer<Packed> packed_a;
    AlignedBuffer<Packed> packed_b;
    alignas(64) float edge_tile[max_tile_elements];
    alignas(64) float edge_bias[max_tile_columns];

    static GemmWorkspace& of_this_thread() {
        thread_local GemmWorkspace workspace;
        return workspace;
    }
};

}  // namespace smallnet::detail
