#pragma once
// Principal component analysis, the linear baseline for an autoencoder: the top eigenvectors of the
// data's covariance matrix, computed with the framework's own tensors.
//
// The covariance [d, d] (n - 1 denominator) is accumulated batch by batch with the GEMM. For d up to
// 128 its eigenvectors come from a cyclic Jacobi eigen-solve directly (for d = 2 that is one rotation:
// the closed form). For larger d, block power (subspace) iteration: Q ← orth(C·Q) with a block of
// k + oversampling vectors, a Rayleigh-Ritz step (Jacobi on Qᵀ·C·Q) every iteration, until every
// wanted Ritz pair has ‖C·v − λ·v‖ ≤ tolerance · λ₁.

#include <cstdint>
#include <span>
#include <vector>

#include "nn/data.hpp"
#include "tensor/tensor.hpp"

namespace smallnet {

// Eigen-decomposition of a symmetric matrix: values decreasing; vectors row-major n x n with the
// eigenvector of values[j] in column j (A = V·diag(values)·Vᵀ).
struct SymmetricEigen {
    int n = 0;
    std::vector<double> values;
    std::vector<double> vectors;
    int sweeps = 0;
};

// Cyclic Jacobi rotations on a symmetric row-major n x n matrix (only its upper triangle is read),
// until the off-diagonal mass is below 1e-12 of the total (or `max_sweeps`; throws if not reached).
SymmetricEigen jacobi_eigen(std::span<const double> matrix, int n, int max_sweeps = 100);

struct PcaOptions {
    // Extra vectors in the block; -1: as many as the components, at least 8 and at most 32. A larger
    // block converges in fewer iterations but its Rayleigh-Ritz step costs O(block³): 128 Fashion-MNIST
    // components took 7.8 s with 128 extra vectors (7 iterations), 0.9 s with 32 (15 iterations).
    int oversampling = -1;
    int max_iterations = 500;
    double tolerance = 1e-5;     // relative residual every wanted eigenpair must reach
    std::uint64_t seed = 0;      // the starting block
    std::int64_t batch_rows = 4096;
};

struct Pca {
    Tensor mean;                     // [d]
    Tensor components;               // [k, d], orthonormal rows, decreasing variance
    std::vector<double> variances;   // the k eigenvalues of the covariance
    double total_variance = 0.0;     // its trace
    int iterations = 0;              // block power iterations (0: direct solve)
    double residual = 0.0;           // the largest relative residual of the k pairs
    bool converged = true;

    // Codes (x − mean)·componentsᵀ, [rows, k].
    Tensor transform(const Data& x, std::int64_t batch_rows = 4096) const;
    // codes·components + mean, [rows, d].
    Tensor inverse_transform(const Tensor& codes) const;
    // The mean over all elements of (x − reconstruction)², computed batch by batch.
    double reconstruction_mse(const Data& x, std::int64_t batch_rows = 4096) const;
    // The share of the total variance the k components keep, sum(variances) / total_variance. Data
    // without variance (every row the same, as images all 0 or all 255) gives 1, not 0/0: the mean
    // alone reconstructs it exactly, so the components lose nothing.
    double explained_variance_fraction() const;
};

// The sample covariance [d, d] of the rows of x, and their mean into `mean` ([d]) when given.
Tensor covariance(const Data& x, Tensor* mean = nullptr, std::int64_t batch_rows = 4096);

// The first `components` principal components of the rows of x (2 <= rows, 1 <= components <= d).
Pca fit_pca(const Data& x, int components, const PcaOptions& options = {});

}  // namespace smallnet
