#pragma once
// Fused one-pass kernels for one instruction set: optimizer updates (every buffer read and written
// once per step), losses with their gradients, and the uint8 image conversion.

#include "tensor/arch/elementwise_math_impl.hpp"

namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE {

inline void axpy(float alpha, const float* x, float* y, std::int64_t n) {
    const Batch a(alpha);
    map(n, y, [&](Batch xv, Batch yv) { return xsimd::fma(a, xv, yv); }, x, y);
}

// Runs step(p, g, m, v) over vectors of four buffers, writing p, m and v back (the tail through
// padded buffers like every other kernel).
template <class Step>
inline void update_four(float* p, const float* g, float* m, float* v, std::int64_t n, Step step) {
    std::int64_t i = 0;
    for (; i + lanes <= n; i += lanes) {
        Batch pv = Batch::load_unaligned(p + i), mv = Batch::load_unaligned(m + i), vv = Batch::load_unaligned(v + i);
        step(pv, Batch::load_unaligned(g + i), mv, vv);
        pv.store_unaligned(p + i);
        mv.store_unaligned(m + i);
        vv.store_unaligned(v + i);
    }
    if (i < n) {
        const std::int64_t rest = n - i;
        Batch pv = load_partial(p + i, rest), mv = load_partial(m + i, rest), vv = load_partial(v + i, rest);
        step(pv, load_partial(g + i, rest), mv, vv);
        store_partial(pv, p + i, rest);
        store_partial(mv, m + i, rest);
        store_partial(vv, v + i, rest);
    }
}

inline void adam(float* parameter, const float* gradient, float* first_moment, float* second_moment, std::int64_t n,
                 const AdamConstants& c) {
    const Batch beta1(c.beta1), one_minus_beta1(c.one_minus_beta1), beta2(c.beta2), one_minus_beta2(c.one_minus_beta2),
        step_size(c.step_size), inverse_correction2(c.inverse_correction2), epsilon(c.epsilon), decay(c.decay);
    update_four(parameter, gradient, first_moment, second_moment, n, [&](Batch& p, Batch g, Batch& m, Batch& v) {
        p = p - decay * p;  // AdamW's decoupled decay, on the weights before this step (0 for Adam)
        m = beta1 * m + one_minus_beta1 * g;
        v = beta2 * v + one_minus_beta2 * (g * g);
        // lr * m_hat / (sqrt(v_hat) + eps): epsilon outside the square root, on the corrected v.
        p = p - step_size * m / (xsimd::sqrt(v * inverse_correction2) + epsilon);
    });
}

inline void sgd(float* parameter, const float* gradient, float* velocity, std::int64_t n, const SgdConstants& c) {
    const Batch lr(c.learning_rate), momentum(c.momentum), decay(c.weight_decay);
    if (c.momentum == 0.0f) {
        map(n, parameter, [&](Batch p, Batch g) { return p - lr * (g + decay * p); }, parameter, gradient);
        return;
    }
    // Keras: v = momentum v - lr g; p += v, or with Nesterov p += momentum v - lr g.
    const bool nesterov = c.nesterov;
    std::int64_t i = 0;
    const auto step = [&](Batch& p, Batch g, Batch& v) {
        const Batch decayed = g + decay * p;
        v = momentum * v - lr * decayed;
        p = nesterov ? p + (momentum * v - lr * decayed) : p + v;
    };
    for (; i + lanes <= n; i += lanes) {
        Batch p = Batch::load_unaligned(parameter + i), v = Batch::load_unaligned(velocity + i);
        step(p, Batch::load_unaligned(gradient + i), v);
        p.store_unaligned(parameter + i);
        v.store_unaligned(velocity + i);
    }
    if (i < n) {
        const std::int64_t rest = n - i;
        Batch p = load_partial(parameter + i, rest), v = load_partial(velocity + i, rest);
        step(p, load_partial(gradient + i, rest), v);
        store_partial(p, parameter + i, rest);
        store_partial(v, velocity + i, rest);
    }
}

// Keras clips probabilities to [epsilon, 1 - epsilon] with its backend epsilon 1e-7.
inline constexpr float probability_floor = 1e-7f;
inline constexpr float probability_ceiling = 1.0f - 1e-7f;

inline double loss_sum(LossKind kind, const float* prediction, const float* target, std::int64_t n) {
    const Batch zero(0.0f), one(1.0f);
    switch (kind) {
        case LossKind::squared_error:
            return blocked_sum(n, [](Batch p, Batch t) { return (p - t) * (p - t); }, prediction, target);
        case LossKind::absolute_error:
            return blocked_sum(n, [](Batch p, Batch t) { return xsimd::abs(p - t); }, prediction, target);
        case LossKind::binary_cross_entropy: {
            const Batch floor(probability_floor), ceiling(probability_ceiling);
            return blocked_sum(
                n,
                [&](Batch p, Batch t) {
                    const Batch q = xsimd::min(xsimd::max(p, floor), ceiling);
                    return -(t * xsimd::log(q) + (one - t) * xsimd::log(one - q));
                },
                prediction, target);
        }
        // max(x, 0) - x t + log(1 + exp(-|x|)): PyTorch's stable form; finite for any finite logit.
        case LossKind::binary_cross_entropy_with_logits:
            return blocked_sum(
                n,
                [&](Batch x, Batch t) {
                    return xsimd::max(x, zero) - x * t + xsimd::log1p(xsimd::exp(-xsimd::abs(x)));
                },
                prediction, target);
    }
    return 0.0;
}

template <class G>
inline void loss_gradient_with(G g, const float* prediction, const float* target, float* gradient, std::int64_t n,
                               bool accumulate) {
    if (accumulate)
        map(n, gradient, [&](Batch p, Batch t, Batch old) { return old + g(p, t); }, prediction, target, gradient);
    else
        map(n, gradient, g, prediction, target);
}

inline void loss_gradient(LossKind kind, const float* prediction, const float* target, float scale, float* gradient,
                          std::int64_t n, bool accumulate) {
    const Batch s(scale), zero(0.0f), one(1.0f);
    switch (kind) {
        case LossKind::squared_error: {
            const Batch twice(2.0f * scale);
            return loss_gradient_with([&](Batch p, Batch t) { return twice * (p - t); }, prediction, target,
                                      gradient, n, accumulate);
        }
        case LossKind::absolute_error:  // 0 at p == t
            return loss_gradient_with(
                [&](Batch p, Batch t) {
                    const Batch d = p - t;
                    return xsimd::select(d > zero, s, xsimd::select(d < zero, -s, zero));
                },
                prediction, target, gradient, n, accumulate);
        case LossKind::binary_cross_entropy: {
            // d/dp = (p - t) / (p (1 - p)), and 0 where the clip made the loss flat.
            const Batch floor(probability_floor), ceiling(probability_ceiling);
            return loss_gradient_with(
                [&](Batch p, Batch t) {
                    const Batch value = s * (p - t) / (p * (one - p));
                    return xsimd::select((p >= floor) & (p <= ceiling), value, zero);
                },
                prediction, target, gradient, n, accumulate);
        }
        case LossKind::binary_cross_entropy_with_logits:
            return loss_gradient_with([&](Batch x, Batch t) { return s * (sigmoid_of(x) - t); }, prediction, target,
                                      gradient, n, accumulate);
    }
}

// One multiply per element, so the plain loop (vectorised by the compiler with this set's flags)
// rounds exactly as a vector would: no tail buffer is needed.
inline void convert_u8(const std::uint8_t* in, std::int64_t n, float scale, float* out) {
    for (std::int64_t i = 0; i < n; ++i) out[i] = scale * static_cast<float>(in[i]);
}

}  // namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE
