#pragma once
// Regularizer: a penalty on a layer's weights or on its output (activity) added to the loss, with
// Keras' definitions: l1 · Σ|x| + l2 · Σ x² (no 1/2 on the L2 term). A layer adds a kernel (or bias)
// penalty as the loss term "kernel_regularization" ("bias_regularization") and an activity penalty,
// divided by the batch size as Keras does, as "activity_regularization".
//
//   Dense(32, "relu", {.activity_regularizer = L1(1e-4)})   // the sparse autoencoder's code
//   Conv2D(16, 3, "relu", {.kernel_regularizer = L2(1e-4)})

#include "nn/layer.hpp"

namespace smallnet {

// l1 and l2 as Keras' keras.regularizers.L1L2 holds them; both 0: no penalty.
struct Regularizer {
    float l1 = 0.0f;
    float l2 = 0.0f;
    bool active() const { return l1 != 0.0f || l2 != 0.0f; }
};

inline Regularizer L1(float l1 = 0.01f) { return {l1, 0.0f}; }                  // Keras' default factor
inline Regularizer L2(float l2 = 0.01f) { return {0.0f, l2}; }
inline Regularizer L1L2(float l1 = 0.01f, float l2 = 0.01f) { return {l1, l2}; }  // keras.regularizers.l1_l2

// What a layer with regularizers adds when the loss is computed (nothing in inference): the kernel's
// and the bias's penalties, and the penalty of its output y [batch, ...] divided by the batch.
void add_weight_penalties(const ForwardContext& context, const Var& kernel, const Regularizer& kernel_regularizer,
                          const Var& bias, const Regularizer& bias_regularizer);
void add_activity_penalty(const ForwardContext& context, const Var& y, const Regularizer& activity_regularizer);

}  // namespace smallnet
