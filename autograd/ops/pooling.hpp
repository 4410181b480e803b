#pragma once
// max_pool2d and upsampling2d on channels-last Vars (Keras' MaxPooling2D and UpSampling2D).

#include <cstdint>

#include "autograd/var.hpp"
#include "tensor/conv.hpp"

namespace smallnet {

struct Pool2dOptions {
    std::int64_t stride_height = 0, stride_width = 0;  // 0: the pool size (Keras' default)
    Padding padding = Padding::valid;
};

// The largest value of each pool_h x pool_w window of x [batch, height, width, channels]; with `same`
// padding an odd size rounds up (7 -> 4 for pool 2). The gradient goes to the first maximum of each
// window.
Var max_pool2d(const Var& x, std::int64_t pool_height, std::int64_t pool_width, const Pool2dOptions& options = {});

// Each pixel of x [batch, height, width, channels] repeated factor_h x factor_w times (nearest).
Var upsampling2d(const Var& x, std::int64_t factor_height, std::int64_t factor_width);

}  // namespace smallnet
