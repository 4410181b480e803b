#pragma once
// The activations of tensor/activation.hpp as vector functors for one instruction set, and the switch
// that hands a loop the right one, so that the loop is compiled once per activation and the choice is
// made once per call: shared by the GEMM's epilogue and the convolutions' output writes, so a layer's
// fused activation gives the same bits in both. Included inside one instruction set's translation unit.

#include <xsimd/xsimd.hpp>

#include "tensor/activation.hpp"
#include "tensor/arch/sigmoid_impl.hpp"

namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE {

struct Identity {
    FloatBatch operator()(FloatBatch x) const { return x; }
};
struct Relu {
    FloatBatch operator()(FloatBatch x) const { return xsimd::max(x, FloatBatch(0.0f)); }
};
struct LeakyRelu {
    FloatBatch slope;
    FloatBatch operator()(FloatBatch x) const { return xsimd::select(x > FloatBatch(0.0f), x, x * slope); }
};
struct Sigmoid {
    FloatBatch operator()(FloatBatch x) const { return sigmoid_of(x); }  // the element-wise sigmoid's
};
struct Tanh {
    FloatBatch operator()(FloatBatch x) const { return xsimd::tanh(x); }
};
struct Softplus {
    // log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): the exponent is never positive, so no overflow.
    FloatBatch operator()(FloatBatch x) const {
        return xsimd::max(x, FloatBatch(0.0f)) + xsimd::log1p(xsimd::exp(-xsimd::abs(x)));
    }
};

// Calls body(function) with the functor of `activation`.
template <class Body>
inline void with_activation(Activation activation, float negative_slope, Body&& body) {
    switch (activation) {
        case Activation::linear: body(Identity{}); return;
        case Activation::relu: body(Relu{}); return;
        case Activation::leaky_relu: body(LeakyRelu{FloatBatch(negative_slope)}); return;
        case Activation::sigmoid: body(Sigmoid{}); return;
        case Activation::tanh: body(Tanh{}); return;
        case Activation::softplus: body(Softplus{}); return;
        case Activation::softmax: return;  // not element-wise: gemm applies it to the finished rows
    }
}

}  // namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE
