#include "autograd/ops/regularization.hpp"

#include <cmath>

#include "autograd/op.hpp"
#include "autograd/registry.hpp"

namespace smallnet {

SMALLNET_REGISTER_OP("regularization_penalty");
Var regularization_penalty(const Var& x, float l1, float l2, float scale) {
    // Summed in double, in order: weights and codes are small, and the order makes it deterministic.
    double absolute = 0.0, squares = 0.0;
    for (const float v : x.value().values()) absolute += std::fabs(v), squares += static_cast<double>(v) * v;
    Tensor value(Shape{});
    value.data()[0] = static_cast<float>(scale * (l1 * absolute + l2 * squares));
    return make_result("regularization_penalty", value, {&x}, [x = x.value(), l1, l2, scale](Node& self) {
        const float upstream = self.gradient().item() * scale;
        auto target = self.gradient_target(0);
        const float* in = x.data();
        float* out = target.tensor.data();
        for (std::int64_t i = 0, n = x.numel(); i < n; ++i) {
            const float sign = in[i] > 0.0f ? 1.0f : in[i] < 0.0f ? -1.0f : 0.0f;
            const float gradient = upstream * (l1 * sign + 2.0f * l2 * in[i]);
            out[i] = target.accumulate ? out[i] + gradient : gradient;
        }
    });
}

}  // namespace smallnet
