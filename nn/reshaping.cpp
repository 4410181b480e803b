#include "nn/reshaping.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/ops/view.hpp"

namespace smallnet {

namespace {

// [batch, ...sample]
Shape with_batch(std::int64_t batch, const Shape& sample) {
    std::vector<std::int64_t> dims = {batch};
    dims.insert(dims.end(), sample.begin(), sample.end());
    return Shape(std::span<const std::int64_t>(dims));
}

class FlattenModule final : public Module {
public:
    std::string type_name() const override { return "Flatten"; }
    Config config() const override { return Config("Flatten"); }
    Shape build(const Shape& input_shape, const std::string&, Generator&) override {
        output_shape_ = Shape{input_shape.numel()};
        return output_shape_;
    }
    Var forward(const Var& x, const ForwardContext&) override { return flatten(x); }
    Shape output_shape() const override { return output_shape_; }

private:
    Shape output_shape_;
};

class ReshapeModule final : public Module {
public:
    // The target may hold one -1 (Shape cannot: it is kept as plain numbers until build).
    explicit ReshapeModule(std::vector<std::int64_t> target) : target_(std::move(target)) {
        int inferred = 0;
        for (const std::int64_t d : target_) {
            if (d == -1) ++inferred;
            else if (d < 1) throw std::invalid_argument("Reshape: dimensions must be positive or -1, got " + std::to_string(d));
        }
        if (inferred > 1) throw std::invalid_argument("Reshape: at most one dimension may be -1");
        if (target_.empty() || target_.size() + 1 > static_cast<std::size_t>(Shape::max_rank))
            throw std::invalid_argument("Reshape: the target shape must have 1 to " + std::to_string(Shape::max_rank - 1) +
                                        " dimensions");
    }
    std::string type_name() const override { return "Reshape"; }
    Config config() const override {
        return Config("Reshape").set("target_shape", std::vector<double>(target_.begin(), target_.end()));
    }
    Shape build(const Shape& input_shape, const std::string& previous, Generator&) override {
        const std::int64_t count = input_shape.numel();
        std::int64_t known = 1;
        for (const std::int64_t d : target_) known *= d == -1 ? 1 : d;
        std::vector<std::int64_t> dims = target_;
        for (std::int64_t& d : dims)
            if (d == -1) d = count % known == 0 ? count / known : -1;
        std::int64_t product = 1;
        for (const std::int64_t d : dims) product *= d;
        if (product != count || product < 1)
            throw std::invalid_argument("Reshape to " + describe_target() + ": " + previous + " gives it " +
                                        batch_shape_string(input_shape) + ", " + std::to_string(count) +
                                        " values per sample, which do not fit");
        output_shape_ = Shape(std::span<const std::int64_t>(dims));
        return output_shape_;
    }
    Var forward(const Var& x, const ForwardContext&) override { return reshape(x, with_batch(x.shape()[0], output_shape_)); }
    Shape output_shape() const override { return output_shape_; }

private:
    std::string describe_target() const {
        std::string text = "(";
        for (std::size_t i = 0; i < target_.size(); ++i) text += (i ? ", " : "") + std::to_string(target_[i]);
        return text + (target_.size() == 1 ? ",)" : ")");
    }
    std::vector<std::int64_t> target_;
    Shape output_shape_;
};

}  // namespace

Flatten::Flatten() : Layer(std::make_shared<FlattenModule>()) {}
Reshape::Reshape(std::initializer_list<std::int64_t> target_shape)
    : Layer(std::make_shared<ReshapeModule>(std::vector<std::int64_t>(target_shape))) {}
Reshape::Reshape(std::vector<std::int64_t> target_shape)
    : Layer(std::make_shared<ReshapeModule>(std::move(target_shape))) {}
Reshape::Reshape(const Shape& target_shape)
    : Layer(std::make_shared<ReshapeModule>(std::vector<std::int64_t>(target_shape.begin(), target_shape.end()))) {}

}  // namespace smallnet
