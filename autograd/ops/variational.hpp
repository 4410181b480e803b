#pragma once
// The two ops of a variational autoencoder's code (Kingma and Welling, 2014): sampling with the
// reparameterization trick, and the KL divergence from the standard normal prior.

#include "autograd/var.hpp"

namespace smallnet {

// z = mean + exp(log_var / 2) · eps, element-wise. eps (mean's shape, drawn from N(0, 1) by the
// caller) is held fixed, so the gradient reaches mean (dz) and log_var (dz · eps · exp(log_var / 2) / 2).
Var gaussian_sample(const Var& mean, const Var& log_var, const Tensor& eps);

// The KL divergence of N(mean, exp(log_var)) from N(0, I) for each sample (a row), summed over the
// latent dimensions and averaged over the batch of B rows:
//   KL = -0.5 / B · Σ_b Σ_j (1 + log_var_bj - mean_bj² - exp(log_var_bj)),
// with gradients mean / B and 0.5 · (exp(log_var) - 1) / B. Rank 0.
Var gaussian_kl_divergence(const Var& mean, const Var& log_var);

}  // namespace smallnet
