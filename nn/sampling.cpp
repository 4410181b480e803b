#include "nn/sampling.hpp"

#include <stdexcept>
#include <string>

#include "autograd/ops/arithmetic.hpp"
#include "autograd/ops/variational.hpp"

namespace smallnet {

SamplingModule::SamplingModule(std::int64_t latent_dim, SamplingOptions options)
    : latent_dim_(latent_dim), options_(options), mean_head_(latent_dim, Activation::linear, {}),
      log_var_head_(latent_dim, Activation::linear, {}) {
    if (!(options.beta >= 0.0f)) throw std::invalid_argument("Sampling: beta must be >= 0, got " + std::to_string(options.beta));
}

Shape SamplingModule::build(const Shape& input_shape, const std::string& previous, Generator& generator) {
    if (input_shape.rank() != 1)
        throw std::invalid_argument("Sampling(" + std::to_string(latent_dim_) + ") needs flat samples, but " + previous +
                                    " gives it " + batch_shape_string(input_shape) + " (Flatten() makes them flat)");
    mean_head_.build(input_shape, previous, generator);
    return log_var_head_.build(input_shape, previous, generator);
}

Var SamplingModule::forward(const Var& x, const ForwardContext& context) {
    const Var mean = mean_head_.forward(x, context);
    if (!context.loss_terms) return mean;  // inference: the means
    const Var log_var = log_var_head_.forward(x, context);
    if (!context.generator) throw std::logic_error("Sampling: computing the loss needs a random generator");
    Tensor eps(mean.shape());
    context.generator->fill_normal(eps.data(), eps.numel(), 0.0f, 1.0f);
    const Var kl = gaussian_kl_divergence(mean, log_var);
    context.add_loss("kl", options_.beta == 1.0f ? kl : kl * options_.beta);
    return gaussian_sample(mean, log_var, eps);
}

void SamplingModule::collect_parameters(const std::string& prefix, std::vector<NamedParameter>& out) {
    mean_head_.collect_parameters(prefix + ".z_mean", out);
    log_var_head_.collect_parameters(prefix + ".z_log_var", out);
}

Sampling::Sampling(std::int64_t latent_dim, SamplingOptions options)
    : Layer(std::make_shared<SamplingModule>(latent_dim, options)) {}

}  // namespace smallnet
