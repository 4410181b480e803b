#pragma once
// Flatten and Reshape: layers that change the shape of each sample without touching its values
// (views, no copy), as Keras' Flatten() and Reshape(target_shape).
//
//   Reshape({28, 28, 1})   // [784] -> [28, 28, 1]; one axis may be -1 (inferred)
//   Flatten()              // [4, 4, 8] -> [128]

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "nn/layer.hpp"

namespace smallnet {

class Flatten : public Layer {
public:
    Flatten();
};

class Reshape : public Layer {
public:
    Reshape(std::initializer_list<std::int64_t> target_shape);
    explicit Reshape(const Shape& target_shape);
    explicit Reshape(std::vector<std::int64_t> target_shape);  // may hold one -1, as the list
};

}  // namespace smallnet
