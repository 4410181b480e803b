#pragma once
// The nn layer: everything a program needs to define, train and use a model (includes autograd and tensor).

#include "autograd/autograd.hpp"
#include "nn/byte_matrix.hpp"
#include "nn/callbacks.hpp"
#include "nn/data.hpp"
#include "nn/dense.hpp"
#include "nn/history.hpp"
#include "nn/layer.hpp"
#include "nn/losses.hpp"
#include "nn/optimizers.hpp"
#include "nn/sequential.hpp"
#include "nn/simple_layers.hpp"
#include "tensor/creation.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/matmul.hpp"
#include "tensor/simd.hpp"
#include "tensor/threads.hpp"
