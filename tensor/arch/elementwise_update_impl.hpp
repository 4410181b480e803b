#pragma once
// Fused one-pass kernels for one instruction set: optimizer updates (every buffer read and written
// once per step), losses with their gradients, and the uint8 image conversion.

#include <cstring>

#include "tensor/arch/elementwise_math_impl.hpp"

namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE {

inline void axpy(float alpha, const float* x, float* y, std::int64_t n) {
    const Batch a(alpha);
    map(n, y, [&](Batch xv, Batch yv) { return xsimd::fma(a, xv, yv); }, x, y);
}

// Runs step(p, g, m, v) over vectors of the buffers, writing p, m and v back (the tail through padded
// buffers like every other kernel). g is gradient + more_gradient when more_gradient is not null: fit's
// two row blocks summed in registers, which spares the pass writing the sum back (a stream of nine).
template <bool two_gradients, class Step>
inline void update_four(float* p, const float* g, const float* more, float* m, float* v, std::int64_t n, Step step) {
    std::int64_t i = 0;
    const auto gradient = [&](std::int64_t at) {
        if constexpr (two_gradients) return Batch::load_unaligned(g + at) + Batch::load_unaligned(more + at);
        else return Batch::load_unaligned(g + at);
    };
    // The parameters were just read by every thread's GEMMs: stream them out (store_streaming says
    // why). The moments are this kernel's alone and stay in cache for the next step.
    const bool stream = vector_aligned(p);
    for (; i + lanes <= n; i += lanes) {
        Batch pv = Batch::load_unaligned(p + i), mv = Batch::load_unaligned(m + i), vv = Batch::load_unaligned(v + i);
        step(pv, gradient(i), mv, vv);
        if (stream) store_streaming(pv, p + i);
        else pv.store_unaligned(p + i);
        mv.store_unaligned(m + i);
        vv.store_unaligned(v + i);
    }
    if (stream) finish_streaming();
    if (i < n) {
        const std::int64_t rest = n - i;
        Batch pv = load_partial(p + i, rest), mv = load_partial(m + i, rest), vv = load_partial(v + i, rest);
        Batch gv = load_partial(g + i, rest);
        if constexpr (two_gradients) gv = gv + load_partial(more + i, rest);
        step(pv, gv, mv, vv);
        store_partial(pv, p + i, rest);
        store_partial(mv, m + i, rest);
        store_partial(vv, v + i, rest);
    }
}

inline void adam(float* parameter, const float* gradient, const float* more_gradient, float* first_moment,
                 float* second_moment, std::int64_t n, const AdamConstants& c) {
    const Batch beta1(c.beta1), one_minus_beta1(c.one_minus_beta1), beta2(c.beta2), one_minus_beta2(c.one_minus_beta2),
        step_size(c.step_size), inverse_correction2(c.inverse_correction2), epsilon(c.epsilon), decay(c.decay);
    const auto step = [&](Batch& p, Batch g, Batch& m, Batch& v) {
        p = p - decay * p;  // AdamW's decoupled decay, on the weights before this step (0 for Adam)
        m = beta1 * m + one_minus_beta1 * g;
        v = beta2 * v + one_minus_beta2 * (g * g);
        // lr * m_hat / (sqrt(v_hat) + eps): epsilon outside the square root, on the corrected v.
        p = p - step_size * m / (xsimd::sqrt(v * inverse_correction2) + epsilon);
    };
    if (more_gradient)
        update_four<true>(parameter, gradient, more_gradient, first_moment, second_moment, n, step);
    else
        update_four<false>(parameter, gradient, nullptr, first_moment, second_moment, n, step);
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

// The sum of (y - t)² in blocked_sum's order (so it equals loss_sum's), and in the same pass the
// gradient with respect to the pre-activation, dz = (2 scale (y - t)) · derivative(y, that), with the
// same arithmetic as loss_gradient followed by unary_backward.
// The sum over n elements of step(p, t, out) (each returning a vector of per-element losses and
// storing its gradients at out), in blocked_sum's order, so the sum equals loss_sum's for the same
// per-element formula.
template <class Step>
inline double loss_and_gradient(const float* output, const float* target, float* gradient, std::int64_t n, Step step) {
    double total = 0.0;
    for (std::int64_t block = 0; block < n; block += sum_block) {
        const std::int64_t end = block + sum_block < n ? block + sum_block : n;
        Batch acc0(0.0f), acc1(0.0f), acc2(0.0f), acc3(0.0f);
        std::int64_t i = block;
        for (; i + 4 * lanes <= end; i += 4 * lanes) {
            acc0 += step(Batch::load_unaligned(output + i), Batch::load_unaligned(target + i), gradient + i);
            acc1 += step(Batch::load_unaligned(output + i + lanes), Batch::load_unaligned(target + i + lanes),
                         gradient + i + lanes);
            acc2 += step(Batch::load_unaligned(output + i + 2 * lanes), Batch::load_unaligned(target + i + 2 * lanes),
                         gradient + i + 2 * lanes);
            acc3 += step(Batch::load_unaligned(output + i + 3 * lanes), Batch::load_unaligned(target + i + 3 * lanes),
                         gradient + i + 3 * lanes);
        }
        for (; i + lanes <= end; i += lanes)
            acc0 += step(Batch::load_unaligned(output + i), Batch::load_unaligned(target + i), gradient + i);
        if (i < end) {
            alignas(64) float tail[lanes];
            const Batch loss = step(load_partial(output + i, end - i), load_partial(target + i, end - i), tail);
            acc1 += xsimd::select(first_lanes(end - i), loss, Batch(0.0f));
            for (std::int64_t k = 0; k < end - i; ++k) gradient[i + k] = tail[k];
        }
        total += static_cast<double>(xsimd::hadd((acc0 + acc1) + (acc2 + acc3)));
    }
    return total;
}

template <class Derivative>
inline double squared_error_through(const float* output, const float* target, float scale, float* gradient,
                                    std::int64_t n, Derivative derivative) {
    const Batch twice(2.0f * scale);
    return loss_and_gradient(output, target, gradient, n, [&](Batch y, Batch t, float* out) {
        const Batch error = y - t;
        derivative(y, twice * error).store_unaligned(out);
        return error * error;
    });
}

// The cross-entropy of sigmoid(z) against t from the logits z (max(z, 0) - z t + log1p(exp(-|z|)),
// loss_sum's formula, in its order) and in the same pass its gradient scale · (sigmoid(z) - t). One
// exp(-|z|) serves both; it and the log1p are the sigmoid's fast forms (tensor/arch/sigmoid_impl.hpp),
// so the sum differs from loss_sum's in the last bits: the pass took 0.75 ns per element with
// xsimd's exp and log1p, a tenth of a VAE's training step.
inline double cross_entropy_of_logits(const float* logits, const float* target, float scale, float* gradient,
                                      std::int64_t n) {
    const Batch zero(0.0f), one(1.0f), s(scale);
    return loss_and_gradient(logits, target, gradient, n, [&](Batch z, Batch t, float* out) {
        const Batch e = exp_of_negative(xsimd::abs(z));
        const Batch inverse = one / (one + e);
        (s * (xsimd::select(z >= zero, inverse, e * inverse) - t)).store_unaligned(out);
        return xsimd::max(z, zero) - z * t + log1p_of_unit(e);
    });
}

inline double squared_error_through_activation(Activation activation, const float* output, const float* target,
                                               float scale, float* gradient, std::int64_t n, float negative_slope) {
    const Batch zero(0.0f), one(1.0f), slope(negative_slope);
    switch (activation) {
        case Activation::linear:
            return squared_error_through(output, target, scale, gradient, n, [](Batch, Batch d) { return d; });
        case Activation::relu:
            return squared_error_through(output, target, scale, gradient, n,
                                         [&](Batch y, Batch d) { return xsimd::select(y > zero, d, zero); });
        case Activation::leaky_relu:
            return squared_error_through(output, target, scale, gradient, n,
                                         [&](Batch y, Batch d) { return xsimd::select(y > zero, d, d * slope); });
        case Activation::sigmoid:
            return squared_error_through(output, target, scale, gradient, n,
                                         [&](Batch s, Batch d) { return d * (s * (one - s)); });
        case Activation::tanh:
            return squared_error_through(output, target, scale, gradient, n,
                                         [&](Batch y, Batch d) { return d * (one - y * y); });
        case Activation::softplus: break;  // refused by the caller: its derivative needs the pre-activation
        case Activation::softmax: break;   // refused by the caller: not element-wise
    }
    return 0.0;
}

// `lanes` bytes at in, as floats (exactly: every uint8 is a float).
inline Batch widen_u8(const std::uint8_t* in) {
#if defined(__AVX512F__)
    return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in))));
#elif defined(__AVX2__)
    return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(in))));
#else
    std::int32_t four;
    std::memcpy(&four, in, sizeof four);
    const __m128i zero = _mm_setzero_si128();
    return _mm_cvtepi32_ps(_mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(four), zero), zero));
#endif
}

// One multiply per element, so the scalar tail rounds exactly as a vector lane would: no tail buffer.
inline void convert_u8(const std::uint8_t* in, std::int64_t n, float scale, float* out, bool stream) {
    const Batch factor(scale);
    std::int64_t i = 0;
    if (stream && vector_aligned(out)) {
        for (; i + lanes <= n; i += lanes) store_streaming(factor * widen_u8(in + i), out + i);
        finish_streaming();
    } else {
        for (; i + lanes <= n; i += lanes) (factor * widen_u8(in + i)).store_unaligned(out + i);
    }
    for (; i < n; ++i) out[i] = scale * static_cast<float>(in[i]);
}

}  // namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE
