#include "autograd/ops/variational.hpp"

#include <cmath>

#include "autograd/op.hpp"
#include "autograd/registry.hpp"

namespace smallnet {

namespace {
void check_same_shape(const char* op, const Shape& a, const Shape& b) {
    if (a != b) throw_shape_error(op, a, b, "the mean and the log-variance must have one shape");
}
}  // namespace

SMALLNET_REGISTER_OP("gaussian_sample");
Var gaussian_sample(const Var& mean, const Var& log_var, const Tensor& eps) {
    check_same_shape("gaussian_sample", mean.shape(), log_var.shape());
    if (eps.shape() != mean.shape()) throw_shape_error("gaussian_sample", mean.shape(), eps.shape(), "eps must have the mean's shape");
    // The latent codes are small ([batch, 2] to [batch, 32]): plain loops.
    Tensor z(mean.shape()), spread(mean.shape());  // spread = exp(log_var / 2), kept for the backward
    for (std::int64_t i = 0, n = z.numel(); i < n; ++i) {
        spread.data()[i] = std::exp(0.5f * log_var.value().data()[i]);
        z.data()[i] = mean.value().data()[i] + spread.data()[i] * eps.data()[i];
    }
    return make_result("gaussian_sample", z, {&mean, &log_var}, [eps, spread](Node& self) {
        const Tensor& dz = self.gradient();
        if (self.parent_needs_grad(0)) {
            auto target = self.gradient_target(0);
            for (std::int64_t i = 0, n = dz.numel(); i < n; ++i)
                target.tensor.data()[i] = target.accumulate ? target.tensor.data()[i] + dz.data()[i] : dz.data()[i];
        }
        if (self.parent_needs_grad(1)) {
            auto target = self.gradient_target(1);
            for (std::int64_t i = 0, n = dz.numel(); i < n; ++i) {
                const float gradient = dz.data()[i] * eps.data()[i] * spread.data()[i] * 0.5f;
                target.tensor.data()[i] = target.accumulate ? target.tensor.data()[i] + gradient : gradient;
            }
        }
    });
}

SMALLNET_REGISTER_OP("gaussian_kl_divergence");
Var gaussian_kl_divergence(const Var& mean, const Var& log_var) {
    check_same_shape("gaussian_kl_divergence", mean.shape(), log_var.shape());
    if (mean.shape().rank() < 1 || mean.shape()[0] == 0)
        throw_shape_error("gaussian_kl_divergence", mean.shape(), "needs a batch of at least one sample");
    const double batch = static_cast<double>(mean.shape()[0]);
    double sum = 0.0;
    for (std::int64_t i = 0, n = mean.value().numel(); i < n; ++i) {
        const double m = mean.value().data()[i], v = log_var.value().data()[i];
        sum += 1.0 + v - m * m - std::exp(v);
    }
    Tensor value(Shape{});
    value.data()[0] = static_cast<float>(-0.5 * sum / batch);
    return make_result("gaussian_kl_divergence", value, {&mean, &log_var},
                       [mean = mean.value(), log_var = log_var.value(), batch](Node& self) {
                           const float scale = static_cast<float>(self.gradient().item() / batch);
                           for (int parent = 0; parent < 2; ++parent) {
                               if (!self.parent_needs_grad(parent)) continue;
                               auto target = self.gradient_target(parent);
                               for (std::int64_t i = 0, n = mean.numel(); i < n; ++i) {
                                   const float gradient = parent == 0 ? scale * mean.data()[i]
                                                                      : scale * 0.5f * (std::exp(log_var.data()[i]) - 1.0f);
                                   target.tensor.data()[i] = target.accumulate ? target.tensor.data()[i] + gradient : gradient;
                               }
                           }
                       });
}

}  // namespace smallnet
