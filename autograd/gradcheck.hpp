#pragma once
// gradcheck: compares the gradients backward() computes with central finite differences.
//
// The function's output is reduced to a scalar with fixed random weights w (L = Σ w·out), so every
// output element is checked. For each input element x, the numerical derivative is
// (L(x + h) - L(x - h)) / 2h with L summed in double and h = step · max(1, |x|); it passes where
// |analytic - numeric| <= absolute_tolerance + relative_tolerance · |numeric|. The defaults suit
// float32 (PyTorch's gradcheck defaults assume float64). Keep inputs away from kinks (relu at 0).

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "autograd/var.hpp"

namespace smallnet {

struct GradcheckOptions {
    double step = 1e-3;
    double absolute_tolerance = 2e-3;
    double relative_tolerance = 2e-2;
    std::uint64_t seed = 1234;  // for the output weights
};

struct GradcheckResult {
    bool passed = true;
    // The worst element: which input, its flat index, and both derivatives.
    int input = -1;
    std::int64_t element = -1;
    double analytic = 0.0;
    double numeric = 0.0;
    std::string message;  // a readable account of the worst element
    explicit operator bool() const { return passed; }
};

using GradcheckFunction = std::function<Var(const std::vector<Var>&)>;

// Checks d(function)/d(inputs[i]) for every input; `inputs` become leaves requiring gradients.
GradcheckResult gradcheck(const GradcheckFunction& function, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options = {});

}  // namespace smallnet
