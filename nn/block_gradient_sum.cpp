#include "nn/block_gradient_sum.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "tensor/elementwise.hpp"

namespace smallnet {

namespace {

// The left child's end: the first half of [begin, end), rounded up.
int middle(int begin, int end) { return begin + (end - begin + 1) / 2; }

// into += from by axpy with alpha 1: each value rounded once (a fused multiply-add by 1), as
// Optimizer::step_on_sum and Adam's fused pass add two gradients.
void add_into(Tensor& into, const Tensor& from) { axpy(1.0f, from, into); }

}  // namespace

BlockGradientSum::BlockGradientSum(int blocks, int processes, int rank)
    : blocks_(blocks), processes_(processes), rank_(rank) {
    if (processes < 1 || blocks < processes || rank < 0 || rank >= processes)
        throw std::invalid_argument("BlockGradientSum: " + std::to_string(blocks) + " blocks cannot be split over " +
                                    std::to_string(processes) + " processes (each needs one at least)");
    first_ = first_block_of(rank);
    own_ = first_block_of(rank + 1) - first_;
    cover(0, blocks);
}

int BlockGradientSum::first_block_of(int process) const {
    return static_cast<int>(static_cast<std::int64_t>(process) * blocks_ / processes_);
}

int BlockGradientSum::owner(int block) const {
    // The p with first_block_of(p) <= block < first_block_of(p + 1).
    int p = static_cast<int>((static_cast<std::int64_t>(block) * processes_ + processes_ - 1) / blocks_);
    while (p > 0 && first_block_of(p) > block) --p;
    while (first_block_of(p + 1) <= block) ++p;
    return p;
}

void BlockGradientSum::cover(int begin, int end) {
    if (owner(begin) == owner(end - 1)) {
        cover_.push_back({begin, end, owner(begin)});
        return;
    }
    cover(begin, middle(begin, end));
    cover(middle(begin, end), end);
}

void BlockGradientSum::sum_inside(std::span<Tensor> buffers, int begin, int end) const {
    if (end - begin == 1) return;
    const int mid = middle(begin, end);
    sum_inside(buffers, begin, mid);
    sum_inside(buffers, mid, end);
    add_into(buffers[static_cast<std::size_t>(begin - first_)], buffers[static_cast<std::size_t>(mid - first_)]);
}

Tensor* BlockGradientSum::sum_to_halves(std::span<Tensor> buffers) const {
    if (processes_ != 1) throw std::logic_error("BlockGradientSum::sum_to_halves: for one process");
    if (blocks_ == 1) return nullptr;
    const int mid = middle(0, blocks_);
    sum_inside(buffers, 0, mid);
    sum_inside(buffers, mid, blocks_);
    return &buffers[static_cast<std::size_t>(mid)];
}

Tensor& BlockGradientSum::sum_chunk(int begin, int end) {
    for (std::size_t s = 0; s < cover_.size(); ++s)
        if (cover_[s].begin == begin && cover_[s].end == end) return chunk_of_[s];
    const int mid = middle(begin, end);
    Tensor& left = sum_chunk(begin, mid);
    add_into(left, sum_chunk(mid, end));
    return left;
}

void BlockGradientSum::sum_everywhere(std::span<Tensor> buffers) {
    const std::int64_t total = buffers[0].numel();
    const auto chunk_begin = [&](int p) { return static_cast<std::int64_t>(p) * total / processes_; };
    const std::int64_t mine = chunk_begin(rank_ + 1) - chunk_begin(rank_);
    if (chunk_counts_.empty()) {  // the plan: which chunk goes where, and room for what comes in
        for (int p = 0; p < processes_; ++p) {
            chunk_offsets_.push_back(static_cast<int>(chunk_begin(p)));
            chunk_counts_.push_back(static_cast<int>(chunk_begin(p + 1) - chunk_begin(p)));
        }
        std::int64_t others = 0;
        for (const Subtree& s : cover_) others += s.process != rank_;
        received_ = Tensor(Shape{std::max<std::int64_t>(others * mine, 1)});
        chunk_of_.resize(cover_.size());
    }
    // Each of this process's subtrees summed inside it, left in the buffer of its first block.
    sends_.clear();
    receives_.clear();
    std::int64_t slot = 0;
    for (std::size_t s = 0; s < cover_.size(); ++s) {
        const Subtree& subtree = cover_[s];
        if (subtree.process == rank_) {
            sum_inside(buffers, subtree.begin, subtree.end);
            Tensor& sum = buffers[static_cast<std::size_t>(subtree.begin - first_)];
            chunk_of_[s] = sum.rows(chunk_begin(rank_), chunk_begin(rank_ + 1));
            for (int p = 0; p < processes_; ++p)
                if (p != rank_)
                    sends_.push_back({sum.data() + chunk_begin(p), chunk_counts_[static_cast<std::size_t>(p)], p});
        } else {
            chunk_of_[s] = received_.rows(slot * mine, (slot + 1) * mine);
            receives_.push_back({chunk_of_[s].data(), static_cast<int>(mine), subtree.process});
            ++slot;
        }
    }
    collectives::exchange(sends_, receives_);
    // This process's chunk of the root, then every chunk everywhere.
    const Tensor& root = sum_chunk(0, blocks_);
    Tensor own_chunk = buffers[0].rows(chunk_begin(rank_), chunk_begin(rank_ + 1));
    if (root.data() != own_chunk.data()) own_chunk.copy_from(root);
    collectives::gather_everywhere_in_place(std::span<float>(buffers[0].data(), static_cast<std::size_t>(total)),
                                            chunk_counts_, chunk_offsets_);
}

}  // namespace smallnet
