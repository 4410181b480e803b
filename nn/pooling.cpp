#include "nn/pooling.hpp"

#include <stdexcept>
#include <string>

#include "autograd/ops/pooling.hpp"
#include "tensor/pooling.hpp"

namespace smallnet {

namespace {

std::string needs_images(const std::string& layer, const std::string& previous, const Shape& input_shape) {
    return layer + " needs samples of shape (height, width, channels), but " + previous + " gives it " +
           batch_shape_string(input_shape);
}

class MaxPooling2DModule final : public Module {
public:
    MaxPooling2DModule(Size2D pool, MaxPooling2DOptions options) : pool_(pool), options_(options) {
        if (pool.height < 1 || pool.width < 1 || options.strides.height < 0 || options.strides.width < 0)
            throw std::invalid_argument("MaxPooling2D: the pool size must be positive and the strides positive or 0 (the pool size)");
    }
    std::string type_name() const override { return "MaxPooling2D"; }
    Config config() const override {
        return Config("MaxPooling2D")
            .set("pool_size", std::vector<double>{static_cast<double>(pool_.height), static_cast<double>(pool_.width)})
            .set("strides", std::vector<double>{static_cast<double>(stride_height()), static_cast<double>(stride_width())})
            .set("padding", std::string(padding_name(options_.padding)));
    }
    Shape build(const Shape& input_shape, const std::string& previous, Generator&) override {
        if (input_shape.rank() != 3) throw std::invalid_argument(needs_images(type_name(), previous, input_shape));
        try {
            const Pool2dGeometry g = Pool2dGeometry::make(Shape{1, input_shape[0], input_shape[1], input_shape[2]},
                                                          pool_.height, pool_.width, stride_height(), stride_width(),
                                                          options_.padding);
            output_shape_ = Shape{g.out_height, g.out_width, g.channels};
        } catch (const std::invalid_argument& error) {
            throw std::invalid_argument(type_name() + ": " + previous + " gives it " + batch_shape_string(input_shape) +
                                        ": " + error.what());
        }
        return output_shape_;
    }
    Var forward(const Var& x, const ForwardContext&) override {
        return max_pool2d(x, pool_.height, pool_.width,
                          {.stride_height = stride_height(), .stride_width = stride_width(), .padding = options_.padding});
    }
    Shape output_shape() const override { return output_shape_; }

private:
    std::int64_t stride_height() const { return options_.strides.height > 0 ? options_.strides.height : pool_.height; }
    std::int64_t stride_width() const { return options_.strides.width > 0 ? options_.strides.width : pool_.width; }
    Size2D pool_;
    MaxPooling2DOptions options_;
    Shape output_shape_;
};

class UpSampling2DModule final : public Module {
public:
    explicit UpSampling2DModule(Size2D size) : size_(size) {
        if (size.height < 1 || size.width < 1)
            throw std::invalid_argument("UpSampling2D: the size must be positive, got " + std::to_string(size.height) +
                                        "x" + std::to_string(size.width));
    }
    std::string type_name() const override { return "UpSampling2D"; }
    Config config() const override {
        return Config("UpSampling2D")
            .set("size", std::vector<double>{static_cast<double>(size_.height), static_cast<double>(size_.width)});
    }
    Shape build(const Shape& input_shape, const std::string& previous, Generator&) override {
        if (input_shape.rank() != 3) throw std::invalid_argument(needs_images(type_name(), previous, input_shape));
        output_shape_ = Shape{input_shape[0] * size_.height, input_shape[1] * size_.width, input_shape[2]};
        return output_shape_;
    }
    Var forward(const Var& x, const ForwardContext&) override { return upsampling2d(x, size_.height, size_.width); }
    Shape output_shape() const override { return output_shape_; }

private:
    Size2D size_;
    Shape output_shape_;
};

}  // namespace

MaxPooling2D::MaxPooling2D(Size2D pool_size, MaxPooling2DOptions options)
    : Layer(std::make_shared<MaxPooling2DModule>(pool_size, options)) {}
UpSampling2D::UpSampling2D(Size2D size) : Layer(std::make_shared<UpSampling2DModule>(size)) {}

}  // namespace smallnet
