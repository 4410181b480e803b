#include "nn/preprocessing.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace smallnet {

ColumnScaling column_scaling(const Tensor& x) {
    if (x.rank() != 2) throw_shape_error("column_scaling", x.shape(), "must be [rows, columns]");
    const std::int64_t rows = x.size(0), columns = x.size(1);
    if (rows < 2) throw std::invalid_argument("column_scaling: needs at least 2 rows");
    ColumnScaling s{std::vector<double>(static_cast<std::size_t>(columns), 0.0),
                    std::vector<double>(static_cast<std::size_t>(columns), 0.0)};
    const float* p = x.data();
    for (std::int64_t i = 0; i < rows; ++i)
        for (std::int64_t j = 0; j < columns; ++j) s.mean[static_cast<std::size_t>(j)] += p[i * columns + j];
    for (double& m : s.mean) m /= static_cast<double>(rows);
    for (std::int64_t i = 0; i < rows; ++i)
        for (std::int64_t j = 0; j < columns; ++j) {
            const double d = p[i * columns + j] - s.mean[static_cast<std::size_t>(j)];
            s.stddev[static_cast<std::size_t>(j)] += d * d;
        }
    for (double& v : s.stddev) v = std::sqrt(v / static_cast<double>(rows - 1));
    return s;
}

ColumnScaling standardize(Tensor& x) {
    ColumnScaling s = column_scaling(x);
    apply_scaling(s, x);
    return s;
}

void apply_scaling(const ColumnScaling& s, Tensor& x) {
    if (x.rank() != 2 || x.size(1) != static_cast<std::int64_t>(s.mean.size()))
        throw_shape_error("apply_scaling", x.shape(),
                          "must be [rows, " + std::to_string(s.mean.size()) + "], the columns the scaling was found on");
    const std::int64_t rows = x.size(0), columns = x.size(1);
    float* p = x.data();
    for (std::int64_t i = 0; i < rows; ++i)
        for (std::int64_t j = 0; j < columns; ++j) {
            const auto c = static_cast<std::size_t>(j);
            const double centred = p[i * columns + j] - s.mean[c];
            p[i * columns + j] = static_cast<float>(s.stddev[c] > 0.0 ? centred / s.stddev[c] : centred);
        }
}

}  // namespace smallnet
