// The GEMM driver: blocking, packing decisions, edge tiles, the epilogue and the split between
// threads. The vector code is in tensor/arch/gemm_impl.hpp; the names m, n, k, mr, nr, kc, mc, nc
// are explained in tensor/arch/gemm_kernels.hpp.
//
// Loop order (GotoBLAS): column blocks of nc -> k blocks of kc -> row blocks of mc -> register tiles,
// nr columns at a time (outer) and mr rows at a time (inner), so the kc x nr sliver of B a tile reads
// stays in L1 while the slivers of A stream past it.
//
// Packing. The micro-kernel reads B as rows of nr contiguous values and A as one value per row per
// step of k, with any stride, so operands are read where they lie when that layout is already there:
// the training shapes are small (k = 32, n = 32 ...) and a copy would cost as much as the product.
// Copied into padded panels (per thread, into buffers that are reused) are:
//  - B when transposed (its rows run the wrong way), or when its row stride is a multiple of 1 KB
//    (the rows of a sliver would then fall into few L1 sets and evict each other);
//  - the edge slivers, with fewer than mr rows or nr columns. The same kernel computes an edge tile
//    into a small scratch tile that is then copied into C, so every element of C is computed by the
//    same instructions wherever it lies and however the work is split between threads.
// Threads split C into rectangles of whole tiles and never split k, so the result is bitwise the same
// for any thread count.
// Products in bf16 take their own driver (tensor/matmul_bf16.cpp), with the same thresholds and parts
// for threads (tensor/gemm_parallel.hpp).

#include "tensor/matmul.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <string>

#include "tensor/arch/gemm_kernels.hpp"
#include "tensor/gemm_parallel.hpp"
#include "tensor/gemm_workspace.hpp"
#include "tensor/matmul_bf16.hpp"
#include "tensor/matmul_small.hpp"
#include "tensor/parallel.hpp"
#include "tensor/simd.hpp"
#include "tensor/softmax.hpp"
#include "tensor/threads.hpp"

namespace smallnet {

namespace arch {
namespace avx512 {
extern const GemmKernels gemm_table;
}
namespace avx2 {
extern const GemmKernels gemm_table;
}
namespace sse2 {
extern const GemmKernels gemm_table;
}

const GemmKernels& gemm_kernels(InstructionSet set) {
    switch (set) {
        case InstructionSet::avx512: return avx512::gemm_table;
        case InstructionSet::avx2: return avx2::gemm_table;
        case InstructionSet::sse2: return sse2::gemm_table;
    }
    return sse2::gemm_table;
}

const GemmKernels& gemm_kernels() { return gemm_kernels(active_instruction_set()); }
}  // namespace arch

namespace {

using arch::GemmKernels;
using detail::flops_of;
using detail::parallel_threshold_flops;
using detail::part_range;
using Workspace = detail::GemmWorkspace<float>;

struct Problem : detail::GemmOperands {
    const GemmKernels* kernels;
};

// Where a micro-kernel reads its operands for one tile.
struct SliverA {
    const float* data;
    std::int64_t stride;
    bool rows_in_place;  // a row-major A read where it lies (multiply_rows)
};
struct SliverB {
    const float* data;
    std::int64_t stride;
};

// The k block [k_begin, k_begin + kc) of the product, for the tiles of one task.
struct KBlock {
    std::int64_t begin;
    std::int64_t size;
    float beta;  // the caller's beta on the first block, then 1 to accumulate
    bool last;   // the epilogue is applied after this block
};

void pack_a_sliver(const Problem& p, const KBlock& block, std::int64_t row, std::int64_t rows, float* destination) {
    const GemmKernels& kernels = *p.kernels;
    if (p.transpose_a)
        kernels.pack_rows(p.a + block.begin * p.lda + row, p.lda, block.size, rows, kernels.mr, destination);
    else
        kernels.pack_columns(p.a + row * p.lda + block.begin, p.lda, block.size, rows, kernels.mr, destination);
}

void pack_b_sliver(const Problem& p, const KBlock& block, std::int64_t column, std::int64_t columns,
                   float* destination) {
    const GemmKernels& kernels = *p.kernels;
    if (p.transpose_b)
        kernels.pack_columns(p.b + column * p.ldb + block.begin, p.ldb, block.size, columns, kernels.nr, destination);
    else
        kernels.pack_rows(p.b + block.begin * p.ldb + column, p.ldb, block.size, columns, kernels.nr, destination);
}

// B is read in place when its rows already hold the panel's layout, unless their stride is a multiple
// of 1 KB: then the rows of a sliver fall into a few L1 sets and evict each other (a 1024 x 1024 B ran
// at half speed in place).
bool b_packed_whole(const Problem& p) { return p.transpose_b || p.ldb % 256 == 0; }
bool b_needs_packing(const Problem& p, std::int64_t columns) { return b_packed_whole(p) || columns < p.kernels->nr; }

// Runs the micro-kernel for the tile at (row, column), through the edge scratch tile when the tile
// sticks out of C, and applies the epilogue after the last k block.
void compute_tile(const Problem& p, const KBlock& block, const SliverA& a, const SliverB& b, std::int64_t row,
                  std::int64_t column, Workspace& workspace) {
    const GemmKernels& kernels = *p.kernels;
    const auto multiply = a.rows_in_place ? kernels.multiply_rows : kernels.multiply_columns;
    const std::int64_t rows = std::min(kernels.mr, p.m - row);
    const std::int64_t columns = std::min(kernels.nr, p.n - column);
    const bool finish = block.last && p.epilogue;
    float* out = p.c + row * p.ldc + column;

    if (rows == kernels.mr && columns == kernels.nr) {
        multiply(block.size, a.data, a.stride, b.data, b.stride, out, p.ldc, p.alpha, block.beta);
        if (finish)
            kernels.finish_tile(out, p.ldc, p.epilogue->bias ? p.epilogue->bias + column : nullptr,
                                p.epilogue->activation, p.epilogue->negative_slope);
        return;
    }

    float* tile = workspace.edge_tile;
    const std::int64_t width = kernels.nr;
    std::fill(tile, tile + kernels.mr * width, 0.0f);
    if (block.beta != 0.0f)
        for (std::int64_t r = 0; r < rows; ++r) std::copy(out + r * p.ldc, out + r * p.ldc + columns, tile + r * width);
    multiply(block.size, a.data, a.stride, b.data, b.stride, tile, width, p.alpha, block.beta);
    if (finish) {
        const float* bias = nullptr;
        if (p.epilogue->bias) {
            std::fill(workspace.edge_bias, workspace.edge_bias + width, 0.0f);
            std::copy(p.epilogue->bias + column, p.epilogue->bias + column + columns, workspace.edge_bias);
            bias = workspace.edge_bias;
        }
        kernels.finish_tile(tile, width, bias, p.epilogue->activation, p.epilogue->negative_slope);
    }
    for (std::int64_t r = 0; r < rows; ++r) std::copy(tile + r * width, tile + r * width + columns, out + r * p.ldc);
}

// Rows [row_begin, row_end) x columns [column_begin, column_end) of C for one k block; the columns
// span at most nc.
void compute_block(const Problem& p, const KBlock& block, std::int64_t row_begin, std::int64_t row_end,
                   std::int64_t column_begin, std::int64_t column_end, Workspace& workspace) {
    const GemmKernels& kernels = *p.kernels;
    const std::int64_t mr = kernels.mr, nr = kernels.nr;
    // Row blocks start on tile boundaries, so only the matrix's last sliver can be short.
    const std::int64_t mc = std::max(mr, kernels.mc / mr * mr);

    // Pack the slivers of B that cannot be read in place: all of them, each at its panel's slot, or
    // only the last one when it is an edge (column blocks start on tile boundaries).
    const std::int64_t panel_size = block.size * nr;
    const std::int64_t panels = (column_end - column_begin + nr - 1) / nr;
    const bool pack_all = b_packed_whole(p);
    float* packed_b = workspace.packed_b.reserve(std::max<std::int64_t>((pack_all ? panels : 1) * panel_size, 1));
    const auto packed_panel = [&](std::int64_t panel) { return pack_all ? packed_b + panel * panel_size : packed_b; };
    for (std::int64_t j = column_begin, panel = 0; j < column_end; j += nr, ++panel) {
        const std::int64_t columns = std::min(nr, column_end - j);
        if (b_needs_packing(p, columns)) pack_b_sliver(p, block, j, columns, packed_panel(panel));
    }

    float* packed_a = workspace.packed_a.reserve(std::max<std::int64_t>(mr * block.size, 1));
    for (std::int64_t ic = row_begin; ic < row_end; ic += mc) {
        const std::int64_t ic_end = std::min(ic + mc, row_end);
        // A row block whose last sliver has fewer than mr rows: that sliver is packed once, here.
        const std::int64_t edge_row = ic + (ic_end - ic) / mr * mr;
        if (edge_row < ic_end) pack_a_sliver(p, block, edge_row, ic_end - edge_row, packed_a);

        for (std::int64_t j = column_begin, panel = 0; j < column_end; j += nr, ++panel) {
            const std::int64_t columns = std::min(nr, column_end - j);
            const SliverB b = b_needs_packing(p, columns)
                                  ? SliverB{packed_panel(panel), nr}
                                  : SliverB{p.b + block.begin * p.ldb + j, p.ldb};
            for (std::int64_t i = ic; i < ic_end; i += mr) {
                SliverA a;
                if (i == edge_row)
                    a = {packed_a, mr, false};
                else if (p.transpose_a)
                    a = {p.a + block.begin * p.lda + i, p.lda, false};
                else
                    a = {p.a + i * p.lda + block.begin, p.lda, true};
                compute_tile(p, block, a, b, i, j, workspace);
            }
        }
    }
}

// One task: a rectangle of C, rows and columns aligned to the register tile, over all of k.
void compute_rectangle(const Problem& p, std::int64_t row_begin, std::int64_t row_end, std::int64_t column_begin,
                       std::int64_t column_end) {
    const GemmKernels& kernels = *p.kernels;
    Workspace& workspace = Workspace::of_this_thread();
    const std::int64_t nc = std::max(kernels.nr, kernels.nc / kernels.nr * kernels.nr);
    for (std::int64_t jc = column_begin; jc < column_end; jc += nc) {
        const std::int64_t jc_end = std::min(jc + nc, column_end);
        // k == 0 still runs one (empty) block: C = beta * C, then the epilogue.
        std::int64_t k_begin = 0;
        do {
            const std::int64_t size = std::min(kernels.kc, p.k - k_begin);
            const KBlock block{k_begin, size, k_begin == 0 ? p.beta : 1.0f, k_begin + size >= p.k};
            compute_block(p, block, row_begin, row_end, jc, jc_end, workspace);
            k_begin += size;
        } while (k_begin < p.k);
    }
}

// The split of C between threads (tensor/gemm_parallel.hpp): rectangles of whole tiles along the rows
// or along the columns. When B is packed whole, the split is along the columns if there are enough, so
// that each part packs only its own columns of B; otherwise it is along the direction whose largest
// part has the fewest tiles.
struct Split {
    std::int64_t parts;
    bool along_rows;
};

Split choose_split(const Problem& p, int threads, double flops) {
    const std::int64_t row_tiles = (p.m + p.kernels->mr - 1) / p.kernels->mr;
    const std::int64_t column_tiles = (p.n + p.kernels->nr - 1) / p.kernels->nr;
    const std::int64_t parts = detail::parts_for(threads, flops);
    if (b_packed_whole(p) && column_tiles >= threads) return {std::min(parts, column_tiles), false};
    const std::int64_t rows_split_work = (row_tiles + parts - 1) / parts * column_tiles;
    const std::int64_t columns_split_work = (column_tiles + parts - 1) / parts * row_tiles;
    const bool along_rows = rows_split_work <= columns_split_work;
    return {std::min(parts, along_rows ? row_tiles : column_tiles), along_rows};
}

bool worth_threads(double flops) { return num_threads() > 1 && flops >= parallel_threshold_flops; }

void run(const Problem& p) {
    const double flops = flops_of(p.m, p.n, p.k);
    const int threads = num_threads();
    if (threads == 1 || flops < parallel_threshold_flops) {
        compute_rectangle(p, 0, p.m, 0, p.n);
        return;
    }
    const Split split = choose_split(p, threads, flops);
    const std::int64_t mr = p.kernels->mr, nr = p.kernels->nr;
    const std::int64_t row_tiles = (p.m + mr - 1) / mr, column_tiles = (p.n + nr - 1) / nr;
    detail::parallel_for(0, split.parts, 1, [&](std::int64_t first, std::int64_t last) {
        for (std::int64_t part = first; part < last; ++part) {
            if (split.along_rows) {
                const auto [begin, end] = part_range(part, split.parts, row_tiles, mr, p.m);
                compute_rectangle(p, begin, end, 0, p.n);
            } else {
                const auto [begin, end] = part_range(part, split.parts, column_tiles, nr, p.n);
                compute_rectangle(p, 0, p.m, begin, end);
            }
        }
    });
}

void check_leading_dimension(const char* name, std::int64_t leading, std::int64_t width) {
    if (leading < std::max<std::int64_t>(width, 1))
        throw std::invalid_argument("gemm: " + std::string(name) + " = " + std::to_string(leading) +
                                    " is smaller than the row width " + std::to_string(width));
}

}  // namespace

void gemm(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
          const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc,
          const GemmEpilogue& epilogue, Precision precision) {
    if (m < 0 || n < 0 || k < 0)
        throw std::invalid_argument("gemm: negative size m = " + std::to_string(m) + ", n = " + std::to_string(n) +
                                    ", k = " + std::to_string(k));
    // Before anything else, so a CPU without bf16 kernels fails on every product, empty ones too.
    const arch::GemmBf16Kernels* bf16_kernels = precision == Precision::bf16 ? &arch::gemm_bf16_kernels() : nullptr;
    if (m == 0 || n == 0) return;
    if (epilogue.activation == Activation::softmax) {  // over whole rows: after the product
        gemm(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
             {epilogue.bias, Activation::linear, epilogue.negative_slope}, precision);
        softmax_rows_in_place(c, m, n, ldc);
        return;
    }
    if (k > 0) {
        check_leading_dimension("lda", lda, transpose_a ? m : k);
        check_leading_dimension("ldb", ldb, transpose_b ? k : n);
    }
    check_leading_dimension("ldc", ldc, n);

    const arch::GemmKernels& kernels = arch::gemm_kernels();
    const bool has_epilogue = epilogue.bias != nullptr || epilogue.activation != Activation::linear;
    if (bf16_kernels) {
        detail::gemm_bf16(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
                          has_epilogue ? &epilogue : nullptr, *bf16_kernels, kernels);
        return;
    }
    if (detail::is_small_product(m, n, k, worth_threads(flops_of(m, n, k)))) {
        detail::small_product(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, epilogue, kernels);
        return;
    }
    const Problem problem{{transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
                           has_epilogue ? &epilogue : nullptr},
                          &kernels};
    run(problem);
}

// ---------------------------------------------------------------------------------------------------
// Tensor level.

namespace {

struct ProductShape {
    std::int64_t m, n, k;
};

ProductShape check_operands(const Tensor& a, const Tensor& b, const MatmulOptions& options) {
    if (a.rank() != 2 || b.rank() != 2)
        throw_shape_error("matmul", a.shape(), b.shape(), "both operands must be rank 2");
    const std::int64_t m = options.transpose_a ? a.size(1) : a.size(0);
    const std::int64_t k = options.transpose_a ? a.size(0) : a.size(1);
    const std::int64_t k_of_b = options.transpose_b ? b.size(1) : b.size(0);
    const std::int64_t n = options.transpose_b ? b.size(0) : b.size(1);
    if (k != k_of_b)
        throw_shape_error("matmul", a.shape(), b.shape(),
                          "inner dimensions " + std::to_string(k) + " and " + std::to_string(k_of_b) + " differ");
    if (options.bias) {
        const Tensor& bias = *options.bias;
        if (bias.rank() != 1 || bias.size(0) != n)
            throw_shape_error("matmul bias", bias.shape(),
                              "the bias must be rank 1 with one value per output column (" + std::to_string(n) + ")");
    }
    return {m, n, k};
}

bool overlap(const Tensor& x, const Tensor& y) {
    if (!x.shares_storage_with(y) || x.numel() == 0 || y.numel() == 0) return false;
    return x.data() < y.data() + y.numel() && y.data() < x.data() + x.numel();
}

// The product into c, whose shape has been checked.
void multiply(const Tensor& a, const Tensor& b, Tensor& c, const MatmulOptions& options, const ProductShape& product) {
    const GemmEpilogue epilogue{options.bias ? options.bias->data() : nullptr, options.activation,
                                options.negative_slope};
    gemm(options.transpose_a, options.transpose_b, product.m, product.n, product.k, options.alpha, a.data(),
         a.size(1), b.data(), b.size(1), options.beta, c.data(), product.n, epilogue, options.precision);
}

}  // namespace

void matmul(const Tensor& a, const Tensor& b, Tensor& c, const MatmulOptions& options) {
    const ProductShape product = check_operands(a, b, options);
    const Shape expected{product.m, product.n};
    if (!c.defined() || c.shape() != expected)
        throw_shape_error("matmul output", c.shape(), expected, "the output must have the product's shape (the second)");
    if (overlap(c, a) || overlap(c, b))
        throw std::invalid_argument("matmul: the output overlaps an operand in memory");
    multiply(a, b, c, options, product);
}

Tensor matmul(const Tensor& a, const Tensor& b, const MatmulOptions& options) {
    const ProductShape product = check_operands(a, b, options);
    // A new tensor: the right shape, overlapping nothing, nothing in it to accumulate.
    Tensor c(Shape{product.m, product.n});
    MatmulOptions write_only = options;
    write_only.beta = 0.0f;
    multiply(a, b, c, write_only, product);
    return c;
}

}  // namespace smallnet
