#include "autograd/gradcheck.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "tensor/creation.hpp"

namespace smallnet {

namespace {
double weighted_sum(const Tensor& output, const Tensor& weights) {
    double total = 0.0;
    for (std::int64_t i = 0; i < output.numel(); ++i)
        total += static_cast<double>(output.data()[i]) * static_cast<double>(weights.data()[i]);
    return total;
}
}  // namespace

GradcheckResult gradcheck(const GradcheckFunction& function, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options) {
    std::vector<Tensor> values;
    std::vector<Var> leaves;
    for (const Tensor& input : inputs) {
        values.push_back(input.clone());
        leaves.emplace_back(values.back(), true);
    }

    Var output = function(leaves);
    Generator generator(options.seed);
    const Tensor weights = uniform(output.shape(), -1.0f, 1.0f, generator);
    output.backward(weights);

    std::vector<Tensor> analytic;
    for (const Var& leaf : leaves) analytic.push_back(leaf.grad().clone());

    GradcheckResult result;
    double worst_excess = -1.0;
    NoGrad no_graph;  // the perturbed evaluations need no graph
    for (std::size_t i = 0; i < leaves.size(); ++i) {
        float* x = values[i].data();
        for (std::int64_t j = 0; j < values[i].numel(); ++j) {
            const float original = x[j];
            const double h = options.step * std::max(1.0, std::fabs(static_cast<double>(original)));
            x[j] = static_cast<float>(original + h);
            const double plus = weighted_sum(function(leaves).value(), weights);
            x[j] = static_cast<float>(original - h);
            const double minus = weighted_sum(function(leaves).value(), weights);
            x[j] = original;
            // The step actually taken in float32, not the one asked for.
            const double taken = static_cast<double>(static_cast<float>(original + h)) -
                                 static_cast<double>(static_cast<float>(original - h));
            const double numeric = (plus - minus) / taken;
            const double computed = analytic[i].data()[j];
            const double excess = std::fabs(computed - numeric) -
                                  (options.absolute_tolerance + options.relative_tolerance * std::fabs(numeric));
            const bool bad = excess > 0.0 || std::isnan(computed) || std::isnan(numeric);
            if (bad) result.passed = false;
            if ((bad && (result.element < 0 || !(excess <= worst_excess))) ||
                (result.passed && excess > worst_excess)) {
                worst_excess = excess;
                result.input = static_cast<int>(i);
                result.element = j;
                result.analytic = computed;
                result.numeric = numeric;
            }
        }
    }
    std::ostringstream message;
    message.precision(7);
    if (result.element >= 0)
        message << (result.passed ? "passed; closest to the tolerance: " : "FAILED: ") << "input " << result.input
                << " element " << result.element << ": analytic " << result.analytic << ", numeric " << result.numeric;
    else
        message << "passed (no elements)";
    result.message = message.str();
    return result;
}

}  // namespace smallnet
