#pragma once
// MaxPooling2D and UpSampling2D: Keras' layers that shrink and grow images with their channels last.
//
//   MaxPooling2D(2, {.padding = Padding::same})   // [7, 7, 8] -> [4, 4, 8]
//   UpSampling2D(2)                               // [4, 4, 8] -> [8, 8, 8], nearest neighbour

#include "nn/layer.hpp"
#include "nn/size2d.hpp"
#include "tensor/conv.hpp"

namespace smallnet {

struct MaxPooling2DOptions {
    Size2D strides = 0;  // 0: the pool size (Keras' default)
    Padding padding = Padding::valid;
};

// The largest value of each pool_size window, channel by channel.
class MaxPooling2D : public Layer {
public:
    explicit MaxPooling2D(Size2D pool_size = 2, MaxPooling2DOptions options = {});
};

// Each pixel repeated size.height x size.width times.
class UpSampling2D : public Layer {
public:
    explicit UpSampling2D(Size2D size = 2);
};

}  // namespace smallnet
