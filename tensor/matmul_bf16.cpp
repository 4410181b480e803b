// The bf16 GEMM driver: gemm() with Precision::bf16. The vector code is in
// tensor/arch/gemm_bf16_avx512.cpp; the names m, n, k, mr, nr, kc, mc, nc are explained in
// tensor/arch/gemm_kernels.hpp.
//
// The kernels are avx512_bf16's (vdpbf16ps, 8 x 32 tiles) or AMX's (tdpbf16ps, 32 x 32 tiles whose
// panels are padded to 16 pairs), whichever bf16_instruction_set() names.
//
// Loop order as in fp32 (tensor/matmul.cpp): column blocks of nc -> k blocks of kc -> row blocks of mc
// -> register tiles, nr columns at a time (outer) and mr rows at a time (inner). Unlike fp32, both
// operands are always packed, because that is where they are rounded to bf16: the one pass over the
// operands the product makes anyway, into panels half the size of fp32's. Each task packs the kc x nc
// block of B it works on, then each mc x kc block of A, into per-thread buffers that are reused; the
// operand all parts of a split product share is kept whole, for the thread's next part (SharedOperand).
// Edge tiles go through a scratch tile as in fp32, so every element of C is computed by the same
// instructions wherever it lies; threads split C into rectangles of whole tiles over all of k, so the
// result is bitwise the same for any thread count.
//
// Products of one row of C, or with k == 1 (a dense layer at batch 1), do not go through the tiles,
// whose rows would be 7 of 8 padding (31 of 32 on AMX): compute_row, compute_row_transposed and
// compute_outer_product, always on avx512_bf16's kernels (GemmBf16Kernels::rows).
// compute_outer_product gives bitwise what the tiles give, and compute_row what avx512_bf16's tiles
// give; compute_row_transposed (dY · Wᵀ) sums across the vector lanes, so its row is not bitwise that
// row of a larger product (it is the same on every call, and runs on one thread).

#include "tensor/matmul_bf16.hpp"

#include <algorithm>
#include <atomic>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "tensor/aligned_buffer.hpp"
#include "tensor/gemm_parallel.hpp"
#include "tensor/gemm_workspace.hpp"
#include "tensor/parallel.hpp"
#include "tensor/simd.hpp"
#include "tensor/threads.hpp"

namespace smallnet {

namespace arch {
namespace avx512_bf16 {
extern const GemmBf16Kernels gemm_bf16_table;
}

namespace amx_bf16 {
extern const GemmBf16Kernels gemm_bf16_table;
}

const GemmBf16Kernels& gemm_bf16_kernels() {
    const Bf16InstructionSet set = bf16_instruction_set();
    if (set == Bf16InstructionSet::amx_bf16) return amx_bf16::gemm_bf16_table;
    if (set == Bf16InstructionSet::avx512_bf16) return avx512_bf16::gemm_bf16_table;
    // No fp32 fallback: a product asked for in bf16 and silently run in fp32 would measure the wrong thing.
    if (active_instruction_set() != InstructionSet::avx512)
        throw std::runtime_error("bf16 products need the AVX512_BF16 instruction set, with avx512 active; the active "
                                 "set is " + std::string(instruction_set_name(active_instruction_set())) +
                                 " (SMALLNET_SIMD or set_instruction_set)");
    throw std::runtime_error("bf16 products need the AVX512_BF16 instruction set (vdpbf16ps), which this CPU lacks");
}
}  // namespace arch

namespace detail {

namespace {

using arch::Bf16Pair;
using arch::GemmBf16Kernels;
using arch::GemmKernels;
using Workspace = detail::GemmWorkspace<Bf16Pair>;

struct Problem : GemmOperands {
    const GemmBf16Kernels* kernels;
    const GemmKernels* fp32;  // for the epilogue
};

// The k block [begin, begin + size) of the product, for the tiles of one task.
struct KBlock {
    std::int64_t begin;
    std::int64_t size;
    float beta;  // the caller's beta on the first block, then 1 to accumulate
    bool last;   // the epilogue is applied after this block
};

// The pair rows of a panel over `depth` values of k: its pairs, padded with zero pairs to the kernels'
// pair_block.
std::int64_t panel_pairs(const GemmBf16Kernels& kernels, std::int64_t depth) {
    return ((depth + 1) / 2 + kernels.pair_block - 1) / kernels.pair_block * kernels.pair_block;
}

// The distance between panels in a packed block: a panel's pairs and one cache line more. Panels 4 KB
// apart (k = 256 in panels of 8 rows) put the same pair row of each in the same L1 set, and packing a
// transposed A, which writes to all of them at once, made xᵀ · dY of 784 x 128 take 196 us instead of
// 140 (one thread, Zen 5).
std::int64_t panel_stride(std::int64_t pairs, std::int64_t width) { return pairs * width + 16; }

// Rows [row_begin, row_end) of op(A) over one k block, as panels of mr rows one after another.
void pack_a_block(const Problem& p, const KBlock& block, std::int64_t row_begin, std::int64_t row_end,
                  Bf16Pair* destination) {
    const GemmBf16Kernels& kernels = *p.kernels;
    const std::int64_t stride = panel_stride(panel_pairs(kernels, block.size), kernels.mr);
    if (p.transpose_a)
        kernels.pack_a_rows(p.a + block.begin * p.lda + row_begin, p.lda, block.size, row_end - row_begin,
                            kernels.mr, stride, destination);
    else
        kernels.pack_a_columns(p.a + row_begin * p.lda + block.begin, p.lda, block.size, row_end - row_begin,
                               kernels.mr, stride, destination);
}

// Columns [column_begin, column_end) of op(B) over one k block, as panels of nr columns one after another.
void pack_b_block(const Problem& p, const KBlock& block, std::int64_t column_begin, std::int64_t column_end,
                  Bf16Pair* destination) {
    const GemmBf16Kernels& kernels = *p.kernels;
    const std::int64_t stride = panel_stride(panel_pairs(kernels, block.size), kernels.nr);
    if (p.transpose_b)
        kernels.pack_pairs_columns(p.b + column_begin * p.ldb + block.begin, p.ldb, block.size,
                                   column_end - column_begin, kernels.nr, stride, destination);
    else
        kernels.pack_pairs_rows(p.b + block.begin * p.ldb + column_begin, p.ldb, block.size, column_end - column_begin,
                                kernels.nr, stride, destination);
}

// The epilogue on an mr x nr tile, by fp32's finish_tile over the fp32 tiles it is made of, so a bf16
// product's bias and activation are computed exactly as fp32's.
void finish_tile(const Problem& p, float* tile, std::int64_t ldc, const float* bias) {
    const GemmKernels& fp32 = *p.fp32;
    for (std::int64_t r = 0; r < p.kernels->mr; r += fp32.mr)
        for (std::int64_t j = 0; j < p.kernels->nr; j += fp32.nr)
            fp32.finish_tile(tile + r * ldc + j, ldc, bias ? bias + j : nullptr, p.epilogue->activation,
                             p.epilogue->negative_slope);
}

// Runs the micro-kernel for the tile at (row, column), through the edge scratch tile when the tile
// sticks out of C, and applies the epilogue after the last k block.
void compute_tile(const Problem& p, const KBlock& block, const Bf16Pair* a, const Bf16Pair* b, std::int64_t row,
                  std::int64_t column, Workspace& workspace, const float* next_tile) {
    const GemmBf16Kernels& kernels = *p.kernels;
    const std::int64_t pairs = panel_pairs(kernels, block.size);
    const std::int64_t rows = std::min(kernels.mr, p.m - row);
    const std::int64_t columns = std::min(kernels.nr, p.n - column);
    const bool finish = block.last && p.epilogue;
    float* out = p.c + row * p.ldc + column;

    if (rows == kernels.mr && columns == kernels.nr) {
        kernels.multiply(pairs, a, b, out, p.ldc, p.alpha, block.beta, next_tile);
        if (finish) finish_tile(p, out, p.ldc, p.epilogue->bias ? p.epilogue->bias + column : nullptr);
        return;
    }

    float* tile = workspace.edge_tile;
    const std::int64_t width = kernels.nr;
    std::fill(tile, tile + kernels.mr * width, 0.0f);
    if (block.beta != 0.0f)
        for (std::int64_t r = 0; r < rows; ++r) std::copy(out + r * p.ldc, out + r * p.ldc + columns, tile + r * width);
    kernels.multiply(pairs, a, b, tile, width, p.alpha, block.beta, nullptr);
    if (finish) {
        const float* bias = nullptr;
        if (p.epilogue->bias) {
            std::fill(workspace.edge_bias, workspace.edge_bias + width, 0.0f);
            std::copy(p.epilogue->bias + column, p.epilogue->bias + column + columns, workspace.edge_bias);
            bias = workspace.edge_bias;
        }
        finish_tile(p, tile, width, bias);
    }
    for (std::int64_t r = 0; r < rows; ++r) std::copy(tile + r * width, tile + r * width + columns, out + r * p.ldc);
}

// The tile of C that compute_rectangle computes after the one at (row, column), in the block of rows
// [row_begin, row_end) and columns up to column_end, for the micro-kernel to fetch; null when there is
// none or it sticks out of C (edge tiles go through the scratch tile, which is in cache).
const float* next_whole_tile(const Problem& p, std::int64_t row, std::int64_t column, std::int64_t row_begin,
                             std::int64_t row_end, std::int64_t column_end) {
    const std::int64_t mr = p.kernels->mr, nr = p.kernels->nr;
    std::int64_t next_row = row + mr, next_column = column;
    if (next_row >= row_end) next_row = row_begin, next_column = column + nr;
    if (next_column >= column_end || next_row + mr > p.m || next_column + nr > p.n) return nullptr;
    return p.c + next_row * p.ldc + next_column;
}

// The cache blocks compute_rectangle walks, whole register tiles: mc rows of A, nc columns of B. The
// kept blocks of a shared operand (SharedOperand) are laid out by the same sizes.
std::int64_t row_block_size(const GemmBf16Kernels& kernels) {
    return std::max(kernels.mr, kernels.mc / kernels.mr * kernels.mr);
}
std::int64_t column_block_size(const GemmBf16Kernels& kernels) {
    return std::max(kernels.nr, kernels.nc / kernels.nr * kernels.nr);
}

// The operand that every part of a split product packs in full: B when the parts split C along the
// rows, A when they split it along the columns. A thread that runs two parts of one product packs it
// once and keeps its blocks for the next part: in fit's row blocks the other core is busy with its own
// block, so one thread runs both halves of its block's products, and packing B or A again for the
// second half was a quarter of the packing of a 2-thread bf16 epoch (`perf record`: 1322 samples in
// the packing on 2 threads against 964 on 1, Zen 5). Keeping it made the 2-thread bf16 epoch faster in
// each of 10 paired runs (medians of 5: 0.1722 -> 0.1598 s, and 0.2146 -> 0.2063 s in a noisier hour).
// Kept blocks are the same pairs packed again would be, so the result does not depend on which thread
// ran which part.
struct SharedOperand {
    std::uint64_t product;  // unique to one call of run(): what a kept block belongs to
    bool is_b;
    std::int64_t span_blocks;  // blocks of mc rows (A) or of nc columns (B) that the operand spans
    std::int64_t k_blocks;
    std::int64_t block_pairs;  // room for the largest block

    std::int64_t slot(std::int64_t row_or_column_block, std::int64_t k_block) const {
        return row_or_column_block * k_blocks + k_block;
    }
};

// A thread's kept blocks of the shared operand of the last split product it worked on.
struct KeptBlocks {
    AlignedBuffer<Bf16Pair> pairs;
    Bf16Pair* base = nullptr;
    std::vector<std::uint64_t> product_of_slot;  // which product's block each slot holds (0: none)

    static KeptBlocks& of_this_thread() {
        thread_local KeptBlocks kept;
        return kept;
    }

    // Room for every block of `shared`; what was kept is lost only when the room grows.
    void prepare(const SharedOperand& shared) {
        const std::int64_t slots = shared.span_blocks * shared.k_blocks;
        if (slots * shared.block_pairs > pairs.capacity()) std::fill(product_of_slot.begin(), product_of_slot.end(), 0);
        base = pairs.reserve(slots * shared.block_pairs);
        if (static_cast<std::int64_t>(product_of_slot.size()) < slots)
            product_of_slot.resize(static_cast<std::size_t>(slots), 0);
    }

    // The block in `slot`, packed by `pack` unless this thread already packed it for this product.
    template <class Pack>
    Bf16Pair* block(const SharedOperand& shared, std::int64_t slot, Pack&& pack) {
        Bf16Pair* block = base + slot * shared.block_pairs;
        std::uint64_t& owner = product_of_slot[static_cast<std::size_t>(slot)];
        if (owner != shared.product) {
            pack(block);
            owner = shared.product;
        }
        return block;
    }
};

// One task: a rectangle of C, rows and columns aligned to the register tile, over all of k. With
// `shared`, the rectangle spans all of the shared operand's rows (A) or columns (B), whose blocks come
// from the thread's KeptBlocks.
void compute_rectangle(const Problem& p, std::int64_t row_begin, std::int64_t row_end, std::int64_t column_begin,
                       std::int64_t column_end, const SharedOperand* shared = nullptr) {
    const GemmBf16Kernels& kernels = *p.kernels;
    const std::int64_t mr = kernels.mr, nr = kernels.nr;
    const std::int64_t mc = row_block_size(kernels), nc = column_block_size(kernels);
    Workspace& workspace = Workspace::of_this_thread();
    KeptBlocks* kept = shared ? &KeptBlocks::of_this_thread() : nullptr;
    if (kept) kept->prepare(*shared);
    for (std::int64_t jc = column_begin; jc < column_end; jc += nc) {
        const std::int64_t jc_end = std::min(jc + nc, column_end);
        const std::int64_t b_panels = (jc_end - jc + nr - 1) / nr;
        // k == 0 still runs one (empty) block: C = beta * C, then the epilogue.
        std::int64_t k_begin = 0;
        for (std::int64_t k_block = 0;; ++k_block) {
            const std::int64_t size = std::min(kernels.kc, p.k - k_begin);
            const KBlock block{k_begin, size, k_begin == 0 ? p.beta : 1.0f, k_begin + size >= p.k};
            const std::int64_t pairs = panel_pairs(kernels, size);
            const std::int64_t a_stride = panel_stride(pairs, mr), b_stride = panel_stride(pairs, nr);
            const auto pack_b = [&](Bf16Pair* destination) { pack_b_block(p, block, jc, jc_end, destination); };
            Bf16Pair* packed_b = nullptr;
            if (kept && shared->is_b) {
                packed_b = kept->block(*shared, shared->slot(jc / nc, k_block), pack_b);
            } else {
                packed_b = workspace.packed_b.reserve(b_panels * b_stride);
                pack_b(packed_b);
            }
            for (std::int64_t ic = row_begin; ic < row_end; ic += mc) {
                const std::int64_t ic_end = std::min(ic + mc, row_end);
                const auto pack_a = [&](Bf16Pair* destination) { pack_a_block(p, block, ic, ic_end, destination); };
                Bf16Pair* packed_a = nullptr;
                if (kept && !shared->is_b) {
                    packed_a = kept->block(*shared, shared->slot(ic / mc, k_block), pack_a);
                } else {
                    packed_a = workspace.packed_a.reserve((ic_end - ic + mr - 1) / mr * a_stride);
                    pack_a(packed_a);
                }
                for (std::int64_t j = jc, b_panel = 0; j < jc_end; j += nr, ++b_panel)
                    for (std::int64_t i = ic, a_panel = 0; i < ic_end; i += mr, ++a_panel)
                        compute_tile(p, block, packed_a + a_panel * a_stride, packed_b + b_panel * b_stride, i, j,
                                     workspace, next_whole_tile(p, i, j, ic, ic_end, jc_end));
            }
            k_begin += size;
            if (k_begin >= p.k) break;
        }
    }
}

// The epilogue on one finished row of C, as finish_tile applies it: the bias added (one rounding), then
// the activation, on the scratch tile filled with mr runs of nr columns of the row at a time.
void finish_row(const Problem& p, float* row) {
    if (!p.epilogue) return;
    if (p.epilogue->bias)
        for (std::int64_t j = 0; j < p.n; ++j) row[j] += p.epilogue->bias[j];
    if (p.epilogue->activation == Activation::linear) return;
    const GemmBf16Kernels& kernels = *p.kernels;
    float* tile = Workspace::of_this_thread().edge_tile;
    const std::int64_t per_tile = kernels.mr * kernels.nr;
    for (std::int64_t start = 0; start < p.n; start += per_tile) {
        const std::int64_t count = std::min(per_tile, p.n - start);
        std::fill(tile, tile + per_tile, 0.0f);
        std::copy(row + start, row + start + count, tile);
        finish_tile(p, tile, kernels.nr, nullptr);
        std::copy(tile, tile + count, row + start);
    }
}

// A product of one row (batch 1) whose B lies in rows: row_times_rows streams B once, k block by k
// block as compute_rectangle goes, with no packed panels and no tile rows of padding (through the
// tiles, x · W of a 784 x 128 layer took 3 to 4 times fp32's time). The row is bitwise what avx512_bf16's
// tiles give (not AMX's, which sum each pair in the other order).
void compute_row(const Problem& p) {
    const GemmBf16Kernels& kernels = *p.kernels;
    Workspace& workspace = Workspace::of_this_thread();
    std::int64_t k_begin = 0;
    do {  // k == 0 still runs one (empty) block: C = beta * C
        const std::int64_t size = std::min(kernels.kc, p.k - k_begin);
        const KBlock block{k_begin, size, k_begin == 0 ? p.beta : 1.0f, k_begin + size >= p.k};
        Bf16Pair* x = workspace.packed_a.reserve(panel_stride(panel_pairs(kernels, size), kernels.mr));
        pack_a_block(p, block, 0, 1, x);
        kernels.row_times_rows(size, x, kernels.mr, p.b + k_begin * p.ldb, p.ldb, p.n, p.c, p.alpha, block.beta);
        k_begin += size;
    } while (k_begin < p.k);
    finish_row(p, p.c);
}

// A product of one row whose B is transposed (batch 1: dY · Wᵀ): row_times_transposed reads each row of
// B where it lies, one dot product each; through the tiles, packing all of B for one row of C made the
// 128 x 784 layer's dY · Wᵀ take 10.4-11.0 us against fp32's 2.6-2.7.
void compute_row_transposed(const Problem& p) {
    Bf16Pair* x_pairs = Workspace::of_this_thread().packed_a.reserve(p.k / 2 + 16);
    p.kernels->row_times_transposed(p.k, p.a, p.transpose_a ? p.lda : 1, x_pairs, p.b, p.ldb, p.n, p.c, p.alpha,
                                    p.beta);
    finish_row(p, p.c);
}

// A product with k == 1 (the weight gradient xᵀ · dY at batch 1): op(B)'s one row rounded into pairs
// once, then outer_product, whose C is bitwise the tiles' C, without packing op(A) into panels of 8 or
// one call of the micro-kernel per tile (through the tiles, 784 x 128 took 7.9-8.4 us against fp32's 3.5-4.0).
void compute_outer_product(const Problem& p) {
    const GemmBf16Kernels& kernels = *p.kernels;
    const std::int64_t width = (p.n + 15) / 16 * 16;
    Bf16Pair* b_pairs = Workspace::of_this_thread().packed_b.reserve(width);
    if (p.transpose_b)
        kernels.pack_pairs_columns(p.b, p.ldb, 1, p.n, width, width, b_pairs);
    else
        kernels.pack_pairs_rows(p.b, p.ldb, 1, p.n, width, width, b_pairs);
    kernels.outer_product(p.m, p.n, p.a, p.transpose_a ? 1 : p.lda, b_pairs, p.c, p.ldc, p.alpha, p.beta);
    if (p.epilogue)
        for (std::int64_t i = 0; i < p.m; ++i) finish_row(p, p.c + i * p.ldc);
}

// A thread keeps at most 2 M pairs (8 MB) of a shared operand; a larger one is packed again by each part,
// whose own work then dwarfs the packing.
constexpr std::int64_t max_kept_pairs = std::int64_t{1} << 21;

std::atomic<std::uint64_t> next_product{1};

// The shared operand of a split along the rows (B) or along the columns (A) and how its blocks are laid
// out, for a product not yet numbered (product 0).
SharedOperand shared_layout(const Problem& p, bool along_rows) {
    const GemmBf16Kernels& kernels = *p.kernels;
    const std::int64_t mr = kernels.mr, nr = kernels.nr;
    const std::int64_t mc = row_block_size(kernels), nc = column_block_size(kernels);
    const std::int64_t k_blocks = std::max<std::int64_t>(1, (p.k + kernels.kc - 1) / kernels.kc);
    const std::int64_t block_pairs = panel_pairs(kernels, std::min(kernels.kc, p.k));
    if (along_rows) {
        const std::int64_t panels = (std::min(nc, p.n) + nr - 1) / nr;
        return {0, true, (p.n + nc - 1) / nc, k_blocks, panels * panel_stride(block_pairs, nr)};
    }
    const std::int64_t panels = (std::min(mc, p.m) + mr - 1) / mr;
    return {0, false, (p.m + mc - 1) / mc, k_blocks, panels * panel_stride(block_pairs, mr)};
}

bool fits_kept(const SharedOperand& shared) {
    return shared.span_blocks * shared.k_blocks * shared.block_pairs <= max_kept_pairs;
}

// The split of C between threads (tensor/gemm_parallel.hpp): rectangles of whole tiles along the rows or
// along the columns. Every part packs its own share of one operand and all of the other (B for parts along
// the rows; a thread that runs two parts packs that one once, SharedOperand), so the choice weighs the
// packing as well as the products. On one thread packing an element costs about as much as 30 flops of the
// micro-kernel (Zen 5: 21 us to pack the 233 K elements of a 128x784x256 product whose 52 MFLOP took 160
// us); with two threads packing at once, from L3, the weight is 60. When the shared operand is kept, every
// thread packs all of it once and its share of the other, so the parts share the smaller operand: for each
// of the step's five large products the direction measured fastest on 2 threads (256x784x128 along the
// columns, 83 us against 97 along the rows; the step's 11 products 505 us against 516, medians of 6 runs,
// Zen 5). Packing the whole operand once, by all threads, before the parts ran, cost a second fork and join
// and made every part read panels the other core wrote: the 11 products of a training step took 650 us on 2
// threads against 510 this way.
//
// Since a thread packs a kept operand once however many of the parts it runs, more parts than threads
// cost no packing, and let a thread that is ahead take a part from one that is behind. On shared machines
// one core often runs slower than the other for a while (another guest on its sibling hyperthread shares
// its AMX unit), and a product waits for its slowest part. With 4 parts on 2 threads rather than 2, the
// step's 11 products took 601-614 us against 678-722 on 2 threads while one core ran faster than the
// other, and the same when both were slowed alike (both alternated in one process, Intel Xeon with AMX).
struct Split {
    std::int64_t parts;
    bool along_rows;
};

constexpr double pack_cost_flops = 60.0;

// When one thread is done with a split, in flops of the micro-kernel: its share of the tiles (the parts
// balanced between threads as well as whole parts allow), with their packing of their own operand, and
// the shared operand packed once if it is kept, else once for each of its parts.
double thread_cost(const Problem& p, std::int64_t parts, bool along_rows, int threads, bool kept) {
    const std::int64_t mr = p.kernels->mr, nr = p.kernels->nr;
    const std::int64_t row_tiles = (p.m + mr - 1) / mr, column_tiles = (p.n + nr - 1) / nr;
    const double k = static_cast<double>(p.k);
    const std::int64_t tiles = along_rows ? row_tiles : column_tiles;
    const double across = static_cast<double>(along_rows ? column_tiles * nr : row_tiles * mr);
    const double width = static_cast<double>(along_rows ? mr : nr);
    const double per_tile = 2.0 * width * across * k + pack_cost_flops * width * k;
    const double tiles_of_thread = std::max(static_cast<double>(tiles) / std::min<double>(threads, parts),
                                            static_cast<double>((tiles + parts - 1) / parts));
    const double shared = pack_cost_flops * static_cast<double>(along_rows ? p.n : p.m) * k;
    const double shared_packings = kept ? 1.0 : static_cast<double>((parts + threads - 1) / threads);
    return per_tile * tiles_of_thread + shared * shared_packings;
}

// The cheapest split, from parts_for's count of parts down to one; of equal ones the most parts, along
// the rows.
Split choose_split(const Problem& p, int threads, double flops) {
    const std::int64_t row_tiles = (p.m + p.kernels->mr - 1) / p.kernels->mr;
    const std::int64_t column_tiles = (p.n + p.kernels->nr - 1) / p.kernels->nr;
    const bool kept[2] = {fits_kept(shared_layout(p, false)), fits_kept(shared_layout(p, true))};
    Split best{1, true};
    double best_cost = std::numeric_limits<double>::infinity();
    for (std::int64_t parts = parts_for(threads, flops); parts >= 1; --parts)
        for (const bool along_rows : {true, false}) {
            if (parts > (along_rows ? row_tiles : column_tiles)) continue;
            const double cost = thread_cost(p, parts, along_rows, threads, kept[along_rows]);
            if (cost < best_cost) best = {parts, along_rows}, best_cost = cost;
        }
    return best;
}

void run(const Problem& p) {
    // Products of one row and with k == 1 run on the `rows` table's kernels: AMX's are avx512_bf16's.
    Problem on_rows = p;
    on_rows.kernels = p.kernels->rows;
    if (p.m == 1) {
        p.transpose_b ? compute_row_transposed(on_rows) : compute_row(on_rows);
        return;
    }
    const double flops = flops_of(p.m, p.n, p.k);
    const int threads = num_threads();
    if (p.k == 1 && (threads == 1 || flops < parallel_threshold_flops)) {
        compute_outer_product(on_rows);
        return;
    }
    if (threads == 1 || flops < parallel_threshold_flops) {
        compute_rectangle(p, 0, p.m, 0, p.n);
        return;
    }
    const Split split = choose_split(p, threads, flops);
    const std::int64_t mr = p.kernels->mr, nr = p.kernels->nr;
    const std::int64_t row_tiles = (p.m + mr - 1) / mr, column_tiles = (p.n + nr - 1) / nr;
    SharedOperand shared = shared_layout(p, split.along_rows);
    shared.product = next_product.fetch_add(1, std::memory_order_relaxed);
    const SharedOperand* kept = fits_kept(shared) ? &shared : nullptr;
    parallel_for(0, split.parts, 1, [&](std::int64_t first, std::int64_t last) {
        for (std::int64_t part = first; part < last; ++part) {
            if (split.along_rows) {
                const auto [begin, end] = part_range(part, split.parts, row_tiles, mr, p.m);
                compute_rectangle(p, begin, end, 0, p.n, kept);
            } else {
                const auto [begin, end] = part_range(part, split.parts, column_tiles, nr, p.n);
                compute_rectangle(p, 0, p.m, begin, end, kept);
            }
        }
    });
}

}  // namespace

void gemm_bf16(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
               const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c,
               std::int64_t ldc, const GemmEpilogue* epilogue, const arch::GemmBf16Kernels& kernels,
               const arch::GemmKernels& fp32) {
    if (kernels.mr % fp32.mr != 0 || kernels.nr % fp32.nr != 0 || kernels.kc % 2 != 0)
        throw std::logic_error("gemm_bf16: the bf16 tile is not made of fp32 tiles, or kc is odd");
    run(Problem{{transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, epilogue}, &kernels, &fp32});
}

}  // namespace detail

}  // namespace smallnet
