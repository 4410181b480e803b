#include "nn/pca.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "tensor/creation.hpp"
#include "tensor/matmul.hpp"
#include "tensor/random.hpp"
#include "tensor/storage.hpp"

namespace smallnet {

SymmetricEigen jacobi_eigen(std::span<const double> matrix, int n, int max_sweeps) {
    if (n < 1 || matrix.size() != static_cast<std::size_t>(n) * n)
        throw std::invalid_argument("jacobi_eigen: the matrix must hold n x n values");
    const auto N = static_cast<std::size_t>(n);
    std::vector<double> a(N * N), v(N * N, 0.0);
    for (std::size_t i = 0; i < N; ++i)
        for (std::size_t j = 0; j < N; ++j) a[i * N + j] = i <= j ? matrix[i * N + j] : matrix[j * N + i];
    for (std::size_t i = 0; i < N; ++i) v[i * N + i] = 1.0;
    double total = 0.0;
    for (double x : a) total += x * x;

    SymmetricEigen out;
    out.n = n;
    for (;; ++out.sweeps) {
        double off = 0.0;
        for (std::size_t p = 0; p < N; ++p)
            for (std::size_t q = p + 1; q < N; ++q) off += 2 * a[p * N + q] * a[p * N + q];
        if (!std::isfinite(off)) throw std::invalid_argument("jacobi_eigen: the matrix has non-finite values");
        if (off <= 1e-24 * total || off == 0.0) break;
        if (out.sweeps >= max_sweeps)
            throw std::runtime_error("jacobi_eigen: no convergence in " + std::to_string(max_sweeps) + " sweeps");
        for (std::size_t p = 0; p < N; ++p) {
            for (std::size_t q = p + 1; q < N; ++q) {
                const double apq = a[p * N + q];
                if (apq == 0.0) continue;
                // Zero a[p][q] with the rotation J (J_pp = J_qq = c, J_pq = s, J_qp = -s): A <- Jᵀ·A·J.
                // t = tan φ is the smaller root of t² + 2θt − 1 = 0, θ = cot 2φ (numerically stable).
                const double theta = (a[q * N + q] - a[p * N + p]) / (2 * apq);
                const double t = (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
                const double c = 1 / std::sqrt(t * t + 1), s = t * c;
                for (std::size_t k = 0; k < N; ++k) {
                    const double akp = a[k * N + p], akq = a[k * N + q];
                    a[k * N + p] = c * akp - s * akq;
                    a[k * N + q] = s * akp + c * akq;
                }
                for (std::size_t k = 0; k < N; ++k) {
                    const double apk = a[p * N + k], aqk = a[q * N + k];
                    a[p * N + k] = c * apk - s * aqk;
                    a[q * N + k] = s * apk + c * aqk;
                }
                a[p * N + q] = a[q * N + p] = 0.0;
                for (std::size_t k = 0; k < N; ++k) {
                    const double vkp = v[k * N + p], vkq = v[k * N + q];
                    v[k * N + p] = c * vkp - s * vkq;
                    v[k * N + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    std::vector<std::size_t> order(N);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return a[x * N + x] > a[y * N + y]; });
    out.values.resize(N);
    out.vectors.resize(N * N);
    for (std::size_t j = 0; j < N; ++j) {
        out.values[j] = a[order[j] * N + order[j]];
        for (std::size_t k = 0; k < N; ++k) out.vectors[k * N + j] = v[k * N + order[j]];
    }
    return out;
}

namespace {

// Column means of x, in double.
std::vector<double> column_means(const Data& x, std::int64_t batch_rows) {
    const std::int64_t rows = x.rows(), d = x.columns();
    std::vector<double> sum(static_cast<std::size_t>(d), 0.0);
    Tensor buffer;
    for (std::int64_t begin = 0; begin < rows; begin += batch_rows) {
        const Tensor batch = x.batch(begin, std::min(rows, begin + batch_rows), buffer);
        for (std::int64_t i = 0; i < batch.size(0); ++i) {
            const float* row = batch.data() + i * d;
            for (std::int64_t j = 0; j < d; ++j) sum[static_cast<std::size_t>(j)] += row[j];
        }
    }
    for (double& s : sum) s /= static_cast<double>(rows);
    return sum;
}

// The first `rows` rows of `buffer`, [rows, columns], which is replaced only when it is too small:
// the shorter last batch of a set reuses the others' buffer.
Tensor sized(Tensor& buffer, std::int64_t rows, std::int64_t columns) {
    if (!buffer.defined() || buffer.size(1) != columns || buffer.size(0) < rows) buffer = Tensor(Shape{rows, columns});
    return buffer.rows(0, rows);
}

// Rows [begin, end) of x minus the mean. Bytes are converted into `converted` and centred there; a
// float set's batch is a view of the caller's values, so it is centred into `spare`. Either way one
// batch of floats is live, not two (13 MB each at 4096 MNIST images).
Tensor centred_batch(const Data& x, std::int64_t begin, std::int64_t end, const Tensor& mean, Tensor& converted,
                     Tensor& spare) {
    const Tensor batch = x.batch(begin, end, converted);
    const std::int64_t rows = batch.size(0), d = batch.size(1);
    Tensor out = batch.shares_storage_with(converted) ? batch : sized(spare, rows, d);
    const float* m = mean.data();
    for (std::int64_t i = 0; i < rows; ++i) {
        const float* in = batch.data() + i * d;
        float* o = out.data() + i * d;
        for (std::int64_t j = 0; j < d; ++j) o[j] = in[j] - m[j];
    }
    return out;
}

// The batches' buffers are dead weight once a pass over the data returns (13 MB each at 4096 MNIST
// images): declared first in the pass, this gives them back to the system rather than leaving them in
// the storage cache, where they would stay for the rest of the program.
struct ReleaseBuffersOnExit {
    ~ReleaseBuffersOnExit() { release_storage_cache(); }
};

void check_batch_rows(std::int64_t batch_rows) {
    if (batch_rows < 1) throw std::invalid_argument("pca: batch_rows must be at least 1");
}

// Orthonormalises the columns of the row-major d x b matrix z in place (modified Gram-Schmidt,
// twice, in double). A column that vanishes is replaced by a fresh random one.
void orthonormalise(std::vector<double>& z, std::int64_t d, std::int64_t b, Generator& generator) {
    // Work on columns stored contiguously.
    std::vector<double> cols(static_cast<std::size_t>(d * b));
    for (std::int64_t i = 0; i < d; ++i)
        for (std::int64_t j = 0; j < b; ++j) cols[static_cast<std::size_t>(j * d + i)] = z[static_cast<std::size_t>(i * b + j)];
    for (std::int64_t j = 0; j < b; ++j) {
        double* cj = cols.data() + j * d;
        for (int attempt = 0; attempt < 3; ++attempt) {
            double before = 0.0;
            for (std::int64_t i = 0; i < d; ++i) before += cj[i] * cj[i];
            for (int pass = 0; pass < 2; ++pass) {
                for (std::int64_t k = 0; k < j; ++k) {
                    const double* ck = cols.data() + k * d;
                    double dot = 0.0;
                    for (std::int64_t i = 0; i < d; ++i) dot += ck[i] * cj[i];
                    for (std::int64_t i = 0; i < d; ++i) cj[i] -= dot * ck[i];
                }
            }
            double norm = 0.0;
            for (std::int64_t i = 0; i < d; ++i) norm += cj[i] * cj[i];
            if (norm > 1e-20 * before && norm > 0.0) {
                const double inv = 1 / std::sqrt(norm);
                for (std::int64_t i = 0; i < d; ++i) cj[i] *= inv;
                break;
            }
            for (std::int64_t i = 0; i < d; ++i) cj[i] = generator.normal();
            if (attempt == 2) throw std::runtime_error("pca: cannot complete an orthonormal block");
        }
    }
    for (std::int64_t i = 0; i < d; ++i)
        for (std::int64_t j = 0; j < b; ++j) z[static_cast<std::size_t>(i * b + j)] = cols[static_cast<std::size_t>(j * d + i)];
}

Tensor to_tensor(const std::vector<double>& values, const Shape& shape) {
    Tensor t(shape);
    for (std::size_t i = 0; i < values.size(); ++i) t.data()[i] = static_cast<float>(values[i]);
    return t;
}

}  // namespace

Tensor covariance(const Data& x, Tensor* mean_out, std::int64_t batch_rows) {
    const ReleaseBuffersOnExit release_buffers_on_exit;
    check_batch_rows(batch_rows);
    const std::int64_t rows = x.rows(), d = x.columns();
    if (rows < 2) throw std::invalid_argument("covariance: needs at least 2 rows, got " + std::to_string(rows));
    const std::vector<double> mean_values = column_means(x, batch_rows);
    const Tensor mean = to_tensor(mean_values, Shape{d});
    Tensor c = zeros(Shape{d, d});
    Tensor buffer, spare;
    for (std::int64_t begin = 0; begin < rows; begin += batch_rows) {
        const Tensor centred = centred_batch(x, begin, std::min(rows, begin + batch_rows), mean, buffer, spare);
        // C += centredᵀ · centred   ([d, rows] · [rows, d])
        matmul(centred, centred, c, {.transpose_a = true, .beta = 1.0f});
    }
    const float scale = 1.0f / static_cast<float>(rows - 1);
    for (std::int64_t i = 0; i < d * d; ++i) c.data()[i] *= scale;
    if (mean_out) *mean_out = mean;
    return c;
}

Pca fit_pca(const Data& x, int components, const PcaOptions& options) {
    const std::int64_t d = x.columns();
    if (components < 1 || components > d)
        throw std::invalid_argument("pca: the number of components must be in 1.." + std::to_string(d) + ", got " +
                                    std::to_string(components));
    if (options.tolerance <= 0.0 || options.max_iterations < 1)
        throw std::invalid_argument("pca: the tolerance and the iteration limit must be positive");
    Pca pca;
    const Tensor c = covariance(x, &pca.mean, options.batch_rows);
    for (std::int64_t i = 0; i < d; ++i) pca.total_variance += c.data()[i * d + i];
    const std::int64_t k = components;
    std::vector<double> vectors;  // row-major d x k, the eigenvector j in column j

    if (d <= 128) {
        const std::vector<double> matrix(c.data(), c.data() + d * d);
        const SymmetricEigen eigen = jacobi_eigen(matrix, static_cast<int>(d));
        pca.variances.assign(eigen.values.begin(), eigen.values.begin() + k);
        vectors.resize(static_cast<std::size_t>(d * k));
        for (std::int64_t i = 0; i < d; ++i)
            for (std::int64_t j = 0; j < k; ++j) vectors[static_cast<std::size_t>(i * k + j)] = eigen.vectors[static_cast<std::size_t>(i * d + j)];
    } else {
        const int extra = options.oversampling >= 0 ? options.oversampling : std::clamp(components, 8, 32);
        const std::int64_t b = std::min<std::int64_t>(d, k + extra);
        Generator generator(options.seed);
        std::vector<double> q(static_cast<std::size_t>(d * b));
        for (double& value : q) value = generator.normal();
        orthonormalise(q, d, b, generator);
        pca.converged = false;
        std::vector<double> ritz(static_cast<std::size_t>(d * b));
        for (pca.iterations = 1; pca.iterations <= options.max_iterations; ++pca.iterations) {
            // Z = C·Q [d, b]; T = Qᵀ·Z [b, b]; T = W·Λ·Wᵀ; Ritz vectors Q·W, values Λ.
            const Tensor qt = to_tensor(q, Shape{d, b});
            const Tensor z = matmul(c, qt);
            const Tensor t = matmul(qt, z, {.transpose_a = true});
            std::vector<double> small(static_cast<std::size_t>(b * b));
            for (std::int64_t i = 0; i < b; ++i)
                for (std::int64_t j = 0; j < b; ++j)
                    small[static_cast<std::size_t>(i * b + j)] =
                        0.5 * (static_cast<double>(t.data()[i * b + j]) + t.data()[j * b + i]);
            const SymmetricEigen eigen = jacobi_eigen(small, static_cast<int>(b));
            const Tensor w = to_tensor(eigen.vectors, Shape{b, b});
            const Tensor v = matmul(qt, w);  // Ritz vectors [d, b]
            const Tensor cv = matmul(z, w);  // C·v [d, b]
            // Residuals of the wanted pairs, relative to the largest eigenvalue.
            const double top = std::max(std::fabs(eigen.values[0]), 1e-30);
            double worst = 0.0;
            for (std::int64_t j = 0; j < k; ++j) {
                double r = 0.0;
                for (std::int64_t i = 0; i < d; ++i) {
                    const double e = cv.data()[i * b + j] - eigen.values[static_cast<std::size_t>(j)] * v.data()[i * b + j];
                    r += e * e;
                }
                worst = std::max(worst, std::sqrt(r) / top);
            }
            pca.residual = worst;
            pca.variances.assign(eigen.values.begin(), eigen.values.begin() + k);
            for (std::int64_t i = 0; i < d * b; ++i) ritz[static_cast<std::size_t>(i)] = v.data()[i];
            if (worst <= options.tolerance) {
                pca.converged = true;
                break;
            }
            // Next block: C·(Ritz vectors), orthonormalised.
            for (std::int64_t i = 0; i < d * b; ++i) q[static_cast<std::size_t>(i)] = cv.data()[i];
            orthonormalise(q, d, b, generator);
        }
        pca.iterations = std::min(pca.iterations, options.max_iterations);
        vectors.resize(static_cast<std::size_t>(d * k));
        for (std::int64_t i = 0; i < d; ++i)
            for (std::int64_t j = 0; j < k; ++j) vectors[static_cast<std::size_t>(i * k + j)] = ritz[static_cast<std::size_t>(i * b + j)];
        // Re-orthonormalise the float-rounded Ritz vectors so the projection is exact.
        orthonormalise(vectors, d, k, generator);
    }
    // components = vectorsᵀ, each row's sign fixed so its largest entry is positive (deterministic).
    pca.components = Tensor(Shape{k, d});
    for (std::int64_t j = 0; j < k; ++j) {
        std::int64_t arg = 0;
        for (std::int64_t i = 1; i < d; ++i)
            if (std::fabs(vectors[static_cast<std::size_t>(i * k + j)]) > std::fabs(vectors[static_cast<std::size_t>(arg * k + j)])) arg = i;
        const double sign = vectors[static_cast<std::size_t>(arg * k + j)] < 0 ? -1.0 : 1.0;
        for (std::int64_t i = 0; i < d; ++i)
            pca.components.data()[j * d + i] = static_cast<float>(sign * vectors[static_cast<std::size_t>(i * k + j)]);
    }
    return pca;
}

Tensor Pca::transform(const Data& x, std::int64_t batch_rows) const {
    const ReleaseBuffersOnExit release_buffers_on_exit;
    check_batch_rows(batch_rows);
    if (x.columns() != mean.numel())
        throw std::invalid_argument("pca transform: the data has " + std::to_string(x.columns()) +
                                    " features, the PCA " + std::to_string(mean.numel()));
    const std::int64_t rows = x.rows(), k = components.size(0);
    Tensor codes(Shape{rows, k});
    Tensor buffer, spare;
    for (std::int64_t begin = 0; begin < rows; begin += batch_rows) {
        const std::int64_t end = std::min(rows, begin + batch_rows);
        const Tensor centred = centred_batch(x, begin, end, mean, buffer, spare);
        Tensor out = codes.rows(begin, end);
        matmul(centred, components, out, {.transpose_b = true});
    }
    return codes;
}

Tensor Pca::inverse_transform(const Tensor& codes) const {
    if (codes.rank() != 2 || codes.size(1) != components.size(0))
        throw_shape_error("pca inverse_transform", codes.shape(), components.shape(), "codes must be [rows, k]");
    return matmul(codes, components, {.bias = &mean});
}

double Pca::explained_variance_fraction() const {
    if (total_variance == 0.0) return 1.0;  // nothing to explain, and nothing lost (see the header)
    return std::accumulate(variances.begin(), variances.end(), 0.0) / total_variance;
}

double Pca::reconstruction_mse(const Data& x, std::int64_t batch_rows) const {
    const ReleaseBuffersOnExit release_buffers_on_exit;
    check_batch_rows(batch_rows);
    const std::int64_t rows = x.rows(), d = mean.numel();
    if (x.columns() != d)
        throw std::invalid_argument("pca reconstruction_mse: the data has " + std::to_string(x.columns()) +
                                    " features, the PCA " + std::to_string(d));
    const std::int64_t k = components.size(0);
    double sum = 0.0;
    Tensor buffer, spare, codes_buffer, back_buffer;
    for (std::int64_t begin = 0; begin < rows; begin += batch_rows) {
        const std::int64_t end = std::min(rows, begin + batch_rows);
        const Tensor centred = centred_batch(x, begin, end, mean, buffer, spare);
        Tensor codes = sized(codes_buffer, end - begin, k);
        matmul(centred, components, codes, {.transpose_b = true});
        Tensor back = sized(back_buffer, end - begin, d);
        matmul(codes, components, back);
        for (std::int64_t i = 0; i < back.numel(); ++i) {
            const double e = static_cast<double>(back.data()[i]) - centred.data()[i];
            sum += e * e;
        }
    }
    return sum / static_cast<double>(rows * d);
}

}  // namespace smallnet
