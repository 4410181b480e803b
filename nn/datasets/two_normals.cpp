#include "nn/datasets/two_normals.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>

namespace smallnet {

std::vector<double> two_normals_centre(int e, int classes, double radius) {
    const double angle = std::numbers::pi / 4 + 2 * std::numbers::pi * e / classes;
    return {radius * std::cos(angle), radius * std::sin(angle)};
}

LabelledPoints two_normals(const TwoNormalsOptions& options, Generator& generator) {
    if (options.points < 1) throw std::invalid_argument("two_normals: the number of points must be at least 1");
    if (options.classes < 1) throw std::invalid_argument("two_normals: the number of classes must be at least 1");
    if (!(options.stddev >= 0.0)) throw std::invalid_argument("two_normals: sd must be >= 0");
    const double radius = options.radius.value_or(std::sqrt(static_cast<double>(options.classes)));
    LabelledPoints out{Tensor(Shape{options.points, 2}), std::vector<int>(static_cast<std::size_t>(options.points))};
    float* x = out.x.data();
    for (std::int64_t i = 0; i < options.points; ++i) {
        const int e = static_cast<int>(generator.below(static_cast<std::uint64_t>(options.classes)));
        const std::vector<double> centre = two_normals_centre(e, options.classes, radius);
        out.labels[static_cast<std::size_t>(i)] = e;
        x[2 * i] = static_cast<float>(centre[0] + options.stddev * generator.normal());
        x[2 * i + 1] = static_cast<float>(centre[1] + options.stddev * generator.normal());
    }
    return out;
}

}  // namespace smallnet
