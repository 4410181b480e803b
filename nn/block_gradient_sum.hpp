#pragma once
// BlockGradientSum: the sum of a training step's row-block gradients (FitOptions::row_blocks) in one
// fixed binary tree, whichever process computed which block, so that it is bitwise the same at any
// number of processes. Internal to fit: not installed.
//
// The tree: a node covers blocks [begin, end); its left child covers the first half, rounded up, and
// its right child the rest. Process p computes the blocks [p * blocks / processes, (p + 1) * blocks /
// processes). Each process first adds up, inside each largest subtree whose blocks are all its own,
// those blocks' gradients (the subtrees are "the cover"). Then the gradient's values are cut into one
// chunk per process: process c receives chunk c of every other process's subtree sums, adds the chunk
// up the rest of the tree, and every process gathers every chunk. Each process sends and receives
// about 2 (N - 1) / N of the gradient when each holds one subtree, as a ring allreduce does.

#include <span>
#include <vector>

#include "nn/collectives.hpp"
#include "tensor/tensor.hpp"

namespace smallnet {

class BlockGradientSum {
public:
    BlockGradientSum(int blocks, int processes, int rank);

    int blocks() const { return blocks_; }
    // This process's blocks: own_blocks() of them from first_block().
    int first_block() const { return first_; }
    int own_blocks() const { return own_; }
    // Where process `process`'s blocks start (first_block_of(processes) is blocks()).
    int first_block_of(int process) const;

    // One process: adds the blocks' gradients (buffers[j] holds block j's) up to the root's two
    // halves, the left in buffers[0] and the right in the buffer returned (null with one block), for
    // Optimizer::step_on_sum, which adds those two as the root does.
    Tensor* sum_to_halves(std::span<Tensor> buffers) const;
    // Several processes: the whole sum, into buffers[0] of every process (buffers[j] holds the
    // gradients of block first_block() + j). Allocates on its first call only.
    void sum_everywhere(std::span<Tensor> buffers);

private:
    struct Subtree {
        int begin, end, process;
    };
    void cover(int begin, int end);
    int owner(int block) const;
    void sum_inside(std::span<Tensor> buffers, int begin, int end) const;
    Tensor& sum_chunk(int begin, int end);

    int blocks_, processes_, rank_, first_, own_;
    std::vector<Subtree> cover_;        // in block order
    std::vector<Tensor> chunk_of_;      // per subtree of the cover: this process's chunk of its sum (a view)
    Tensor received_;                   // those of the other processes' subtrees
    std::vector<collectives::Transfer> sends_, receives_;
    std::vector<int> chunk_counts_, chunk_offsets_;
};

}  // namespace smallnet
