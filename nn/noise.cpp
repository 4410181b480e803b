#include "nn/noise.hpp"

#include <algorithm>
#include <stdexcept>

namespace smallnet {

Tensor add_noise(const Tensor& x, const NoiseOptions& options, Generator& generator) {
    if (!(options.gaussian_stddev >= 0.0f)) throw std::invalid_argument("add_noise: stddev must be >= 0");
    if (!(options.salt_and_pepper >= 0.0f && options.salt_and_pepper <= 1.0f))
        throw std::invalid_argument("add_noise: the salt-and-pepper rate must be in [0, 1]");
    Tensor out = x.clone();
    const std::int64_t n = out.numel();
    float* p = out.data();
    if (options.gaussian_stddev > 0.0f) {
        Tensor noise(out.shape());
        generator.fill_normal(noise.data(), n, 0.0f, options.gaussian_stddev);
        for (std::int64_t i = 0; i < n; ++i) p[i] += noise.data()[i];
    }
    if (options.salt_and_pepper > 0.0f) {
        Tensor u(out.shape());
        generator.fill_uniform(u.data(), n, 0.0f, 1.0f);
        const float rate = options.salt_and_pepper;
        for (std::int64_t i = 0; i < n; ++i) {
            const float v = u.data()[i];
            if (v < rate) p[i] = v < rate / 2 ? 1.0f : 0.0f;
        }
    }
    if (options.clip)
        for (std::int64_t i = 0; i < n; ++i) p[i] = std::clamp(p[i], 0.0f, 1.0f);
    return out;
}

}  // namespace smallnet
