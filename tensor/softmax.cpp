#include "tensor/softmax.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "tensor/elementwise_parallel.hpp"

namespace smallnet {

namespace {

constexpr float epsilon = 1e-7f;  // Keras' backend epsilon

// The rows of x along its last axis: [rows, classes].
struct Rows {
    std::int64_t count, classes;
};

Rows rows_of(const char* op, const Tensor& x) {
    if (x.rank() < 1 || x.shape()[x.rank() - 1] < 1)
        throw_shape_error(op, x.shape(), "needs at least one class on the last axis");
    const std::int64_t classes = x.shape()[x.rank() - 1];
    return {x.numel() / classes, classes};
}

// body(first_row, last_row), over threads when there are many rows (exp costs several memory passes).
template <class Body>
void for_each_row_block(Rows rows, Body&& body) {
    const std::int64_t work_per_row = rows.classes * detail::cost_transcendental;
    const std::int64_t grain = std::max<std::int64_t>(detail::parallel_work_threshold / std::max<std::int64_t>(work_per_row, 1), 1);
    detail::parallel_for(0, rows.count, grain, body);
}

// softmax of one row of n scores into out (out may be in), with the row's logsumexp returned.
double softmax_row(const float* in, std::int64_t n, float* out) {
    const float largest = *std::max_element(in, in + n);
    double total = 0.0;
    for (std::int64_t c = 0; c < n; ++c) {
        out[c] = std::exp(in[c] - largest);
        total += out[c];
    }
    const float inverse = static_cast<float>(1.0 / total);
    for (std::int64_t c = 0; c < n; ++c) out[c] *= inverse;
    return static_cast<double>(largest) + std::log(total);
}

std::int64_t label_of(const Tensor& labels, std::int64_t row, std::int64_t classes) {
    const float value = labels.data()[row];
    if (!(value >= 0.0f && value < static_cast<float>(classes) && value == std::floor(value)))
        throw std::invalid_argument("sparse categorical cross-entropy: the label of sample " + std::to_string(row) +
                                    " is " + std::to_string(value) + ", not a class index in [0, " +
                                    std::to_string(classes) + ")");
    return static_cast<std::int64_t>(value);
}

void check_targets(ClassTargets targets, const Tensor& prediction, const Tensor& target, Rows rows) {
    if (targets == ClassTargets::one_hot) {
        if (target.shape() != prediction.shape())
            throw_shape_error("categorical cross-entropy", prediction.shape(), target.shape(),
                              "the targets must have the predictions' shape (one value per class)");
    } else if (target.numel() != rows.count) {
        throw_shape_error("sparse categorical cross-entropy", prediction.shape(), target.shape(),
                          "needs one label per sample (" + std::to_string(rows.count) + ")");
    }
}

// The loss of one row and, when `gradient` is not null, scale · its gradient.
double row_loss(ClassScores scores, ClassTargets targets, const float* p, const float* t, std::int64_t label,
                std::int64_t n, float* gradient, float scale, float* scratch) {
    if (scores == ClassScores::logits) {
        const double logsumexp = softmax_row(p, n, scratch);  // scratch = softmax(z)
        double loss = 0.0, target_total = 0.0;
        if (targets == ClassTargets::labels) {
            loss = logsumexp - static_cast<double>(p[label]);
            target_total = 1.0;
        } else {
            for (std::int64_t c = 0; c < n; ++c) {
                loss += static_cast<double>(t[c]) * (logsumexp - static_cast<double>(p[c]));
                target_total += t[c];
            }
        }
        if (gradient)
            for (std::int64_t c = 0; c < n; ++c) {
                const float target_c = targets == ClassTargets::labels ? (c == label ? 1.0f : 0.0f) : t[c];
                gradient[c] = scale * (static_cast<float>(target_total) * scratch[c] - target_c);
            }
        return loss;
    }
    const auto inside = [](float v) { return v >= epsilon && v <= 1.0f - epsilon; };
    if (targets == ClassTargets::labels) {
        double total = 0.0;
        for (std::int64_t c = 0; c < n; ++c) total += std::clamp(p[c], epsilon, 1.0f - epsilon);
        const float chosen = std::clamp(p[label], epsilon, 1.0f - epsilon);
        if (gradient)
            for (std::int64_t c = 0; c < n; ++c)
                gradient[c] = inside(p[c]) ? scale * (static_cast<float>(1.0 / total) - (c == label ? 1.0f / chosen : 0.0f)) : 0.0f;
        return std::log(total) - std::log(static_cast<double>(chosen));
    }
    double total = 0.0;
    for (std::int64_t c = 0; c < n; ++c) total += p[c];
    double loss = 0.0, weighted = 0.0;  // weighted = Σ_c g_c n_c, g_c = dl/dn_c
    for (std::int64_t c = 0; c < n; ++c) {
        const float normalized = static_cast<float>(p[c] / total);
        const float clipped = std::clamp(normalized, epsilon, 1.0f - epsilon);
        loss -= static_cast<double>(t[c]) * std::log(static_cast<double>(clipped));
        scratch[c] = inside(normalized) ? -t[c] / clipped : 0.0f;
        weighted += static_cast<double>(scratch[c]) * normalized;
    }
    if (gradient)
        for (std::int64_t c = 0; c < n; ++c)
            gradient[c] = scale * static_cast<float>((scratch[c] - weighted) / total);
    return loss;
}

}  // namespace

void softmax(const Tensor& x, Tensor& out) {
    const Rows rows = rows_of("softmax", x);
    if (out.shape() != x.shape()) throw_shape_error("softmax", x.shape(), out.shape(), "the output must have the input's shape");
    for_each_row_block(rows, [&](std::int64_t first, std::int64_t last) {
        for (std::int64_t r = first; r < last; ++r)
            softmax_row(x.data() + r * rows.classes, rows.classes, out.data() + r * rows.classes);
    });
}

void softmax_rows_in_place(float* data, std::int64_t rows, std::int64_t classes, std::int64_t row_stride) {
    if (rows <= 0 || classes <= 0) return;
    for_each_row_block({rows, classes}, [&](std::int64_t first, std::int64_t last) {
        for (std::int64_t r = first; r < last; ++r) softmax_row(data + r * row_stride, classes, data + r * row_stride);
    });
}

void softmax_backward(const Tensor& y, const Tensor& dy, Tensor& dx, bool accumulate) {
    const Rows rows = rows_of("softmax_backward", y);
    if (dy.shape() != y.shape() || dx.shape() != y.shape())
        throw_shape_error("softmax_backward", y.shape(), dy.shape(), "the gradients must have the output's shape");
    for_each_row_block(rows, [&](std::int64_t first, std::int64_t last) {
        for (std::int64_t r = first; r < last; ++r) {
            const float* yr = y.data() + r * rows.classes;
            const float* dyr = dy.data() + r * rows.classes;
            float* dxr = dx.data() + r * rows.classes;
            double dot = 0.0;
            for (std::int64_t c = 0; c < rows.classes; ++c) dot += static_cast<double>(dyr[c]) * yr[c];
            for (std::int64_t c = 0; c < rows.classes; ++c) {
                const float value = yr[c] * (dyr[c] - static_cast<float>(dot));
                dxr[c] = accumulate ? dxr[c] + value : value;
            }
        }
    });
}

double categorical_cross_entropy_sum(ClassScores scores, ClassTargets targets, const Tensor& prediction,
                                     const Tensor& target, Tensor* gradient, float scale) {
    const Rows rows = rows_of("categorical cross-entropy", prediction);
    check_targets(targets, prediction, target, rows);
    if (gradient && gradient->shape() != prediction.shape())
        throw_shape_error("categorical cross-entropy", prediction.shape(), gradient->shape(),
                          "the gradient must have the predictions' shape");
    // Labels are checked before any work, so a bad one leaves `gradient` untouched.
    if (targets == ClassTargets::labels)
        for (std::int64_t r = 0; r < rows.count; ++r) label_of(target, r, rows.classes);
    // Serial, in row order: the sum is then the same on any thread count, and the rows are few.
    // One row of scratch, kept per thread: a training step allocates nothing here once warm.
    thread_local std::vector<float> scratch;
    scratch.resize(static_cast<std::size_t>(rows.classes));
    double sum = 0.0;
    for (std::int64_t r = 0; r < rows.count; ++r) {
        const std::int64_t offset = r * rows.classes;
        const std::int64_t label = targets == ClassTargets::labels ? label_of(target, r, rows.classes) : 0;
        sum += row_loss(scores, targets, prediction.data() + offset,
                        targets == ClassTargets::one_hot ? target.data() + offset : nullptr, label, rows.classes,
                        gradient ? gradient->data() + offset : nullptr, scale, scratch.data());
    }
    return sum;
}

std::int64_t count_correct_classes(ClassTargets targets, const Tensor& prediction, const Tensor& target) {
    const Rows rows = rows_of("accuracy", prediction);
    check_targets(targets, prediction, target, rows);
    std::int64_t correct = 0;
    for (std::int64_t r = 0; r < rows.count; ++r) {
        const float* p = prediction.data() + r * rows.classes;
        const std::int64_t predicted = std::max_element(p, p + rows.classes) - p;
        std::int64_t expected;
        if (targets == ClassTargets::labels) {
            expected = static_cast<std::int64_t>(target.data()[r]);
        } else {
            const float* t = target.data() + r * rows.classes;
            expected = std::max_element(t, t + rows.classes) - t;
        }
        correct += predicted == expected;
    }
    return correct;
}

}  // namespace smallnet
