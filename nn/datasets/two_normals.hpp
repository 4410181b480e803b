#pragma once
// mlbench's 2dnormals: a two-dimensional Gaussian problem with `classes` classes, as the R lesson's
// mlbench.2dnormals(n, cl = 2, r = sqrt(cl), sd = 1):
//   each point's class e is uniform in 0..cl-1; its centre is
//   r · (cos(π/4 + 2πe/cl), sin(π/4 + 2πe/cl)); the point is the centre plus independent normal noise
//   of standard deviation sd in each coordinate.

#include <cstdint>
#include <optional>
#include <vector>

#include "tensor/random.hpp"
#include "tensor/tensor.hpp"

namespace smallnet {

struct TwoNormalsOptions {
    std::int64_t points = 1000;     // n
    int classes = 2;                // cl
    std::optional<double> radius{};   // r; sqrt(cl) when not given
    double stddev = 1.0;            // sd
};

struct LabelledPoints {
    Tensor x;                 // [n, 2]
    std::vector<int> labels;  // n of them, each in 0..classes-1
};

// The class centre of class `e` (as [x1, x2]).
std::vector<double> two_normals_centre(int e, int classes, double radius);
LabelledPoints two_normals(const TwoNormalsOptions& options, Generator& generator);

}  // namespace smallnet
