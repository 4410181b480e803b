#pragma once
// Sampling: the code of a variational autoencoder (Kingma and Welling, 2014), as Keras' VAE example
// builds it: two Dense heads map the input to z_mean and z_log_var (latent_dim each), then, while the
// loss is computed (fit, evaluate), the layer samples
//     z = z_mean + exp(z_log_var / 2) · eps,   eps ~ N(0, 1) from fit's seeded generator
// (the reparameterization trick) and adds the KL divergence from the prior N(0, I),
//     beta · mean over the batch of -0.5 · Σ_j (1 + z_log_var_j - z_mean_j² - exp(z_log_var_j)),
// to the loss as the term "kl". In inference (predict) it returns z_mean: encoder.predict gives the
// means, and decoder.predict on draws from N(0, 1) generates.
//
//   Sequential encoder({Input(784), Dense(64, "relu"), Sampling(2)}, "encoder");
//   Sequential decoder({Dense(64, "relu"), Dense(784, "sigmoid")}, "decoder");
//   Sequential vae({encoder, decoder}, "vae");
//   vae.compile(Adam(), "bce", {.reduction = Reduction::sum_over_features});  // 784 · BCE + KL per image
//
// Weight files name the heads `<layer>.z_mean.kernel`, `<layer>.z_log_var.bias`, ...

#include <cstdint>
#include <memory>

#include "nn/dense.hpp"
#include "nn/layer.hpp"

namespace smallnet {

struct SamplingOptions {
    float beta = 1.0f;  // the KL term's weight (a beta-VAE when not 1)
};

class SamplingModule final : public Module {
public:
    SamplingModule(std::int64_t latent_dim, SamplingOptions options);
    std::string type_name() const override { return "Sampling"; }
    Config config() const override { return Config("Sampling").set("latent_dim", latent_dim_).set("beta", options_.beta); }
    Shape build(const Shape& input_shape, const std::string& previous, Generator& generator) override;
    Var forward(const Var& x, const ForwardContext& context) override;
    void collect_parameters(const std::string& prefix, std::vector<NamedParameter>& out) override;
    Shape output_shape() const override { return mean_head_.output_shape(); }

private:
    std::int64_t latent_dim_;
    SamplingOptions options_;
    DenseModule mean_head_, log_var_head_;
};

class Sampling : public Layer {
public:
    explicit Sampling(std::int64_t latent_dim, SamplingOptions options = {});
};

}  // namespace smallnet
