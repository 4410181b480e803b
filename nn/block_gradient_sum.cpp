#include "nn/block_gradient_sum.hpp"

#include <stdexcept>
#include <string>

namespace smallnet {

namespace {

// The left child's end: the first half of [begin, end), rounded up.
int middle(int begin, int end) { return begin + (end - begin + 1) / 2; }

// into[i] += from[i]: each value rounded once, as Optimizer::step_on_sum and Adam's fused pass add.
void add_into(float* into, const float* from, std::int64_t count) {
    for (std::int64_t i = 0; i < count; ++i) into[i] += from[i];
}

}  // namespace

BlockGradientSum::BlockGradientSum(int blocks, int processes, int rank)
    : blocks_(blocks), processes_(processes), rank_(rank) {
    if (processes < 1 || blocks < processes || rank < 0 || rank >= processes)
        throw std::invalid_argument("BlockGradientSum: " + std::to_string(blocks) + " blocks cannot be split over " +
                                    std::to_string(processes) + " processes (each needs one at least)");
    first_ = static_cast<int>(static_cast<std::int64_t>(rank) * blocks / processes);
    own_ = static_cast<int>(static_cast<std::int64_t>(rank + 1) * blocks / processes) - first_;
    cover(0, blocks);
}

int BlockGradientSum::owner(int block) const {
    // The p with p * blocks / processes <= block < (p + 1) * blocks / processes.
    int p = static_cast<int>((static_cast<std::int64_t>(block) * processes_ + processes_ - 1) / blocks_);
    while (p > 0 && static_cast<std::int64_t>(p) * blocks_ / processes_ > block) --p;
    while (static_cast<std::int64_t>(p + 1) * blocks_ / processes_ <= block) ++p;
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
    Tensor& left = buffers[static_cast<std::size_t>(begin - first_)];
    add_into(left.data(), buffers[static_cast<std::size_t>(mid - first_)].data(), left.numel());
}

Tensor* BlockGradientSum::sum_to_halves(std::span<Tensor> buffers) const {
    if (processes_ != 1) throw std::logic_error("BlockGradientSum::sum_to_halves: for one process");
    if (blocks_ == 1) return nullptr;
    const int mid = middle(0, blocks_);
    sum_inside(buffers, 0, mid);
    sum_inside(buffers, mid, blocks_);
    return &buffers[static_cast<std::size_t>(mid)];
}

float* BlockGradientSum::sum_chunk(int begin, int end, std::int64_t length) {
    for (std::size_t s = 0; s < cover_.size(); ++s)
        if (cover_[s].begin == begin && cover_[s].end == end) return chunk_of_[s];
    const int mid = middle(begin, end);
    float* left = sum_chunk(begin, mid, length);
    add_into(left, sum_chunk(mid, end, length), length);
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
            float* sum = buffers[static_cast<std::size_t>(subtree.begin - first_)].data();
            chunk_of_[s] = sum + chunk_begin(rank_);
            for (int p = 0; p < processes_; ++p)
                if (p != rank_) sends_.push_back({sum + chunk_begin(p), chunk_counts_[static_cast<std::size_t>(p)], p});
        } else {
            chunk_of_[s] = received_.data() + slot * mine;
            receives_.push_back({chunk_of_[s], static_cast<int>(mine), subtree.process});
            ++slot;
        }
    }
    collectives::exchange(sends_, receives_);
    // This process's chunk of the root, then every chunk everywhere.
    const float* root = sum_chunk(0, blocks_, mine);
    float* own_chunk = buffers[0].data() + chunk_begin(rank_);
    if (root != own_chunk) std::copy(root, root + mine, own_chunk);
    collectives::gather_everywhere_in_place(std::span<float>(buffers[0].data(), static_cast<std::size_t>(total)),
                                            chunk_counts_, chunk_offsets_);
}

}  // namespace smallnet
