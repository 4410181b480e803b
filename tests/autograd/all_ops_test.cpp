// Every registered op, checked against central finite differences. An op registered without a case
// here fails the suite; an op whose backward is missing or wrong fails its gradcheck.
#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <set>
#include <string>

#include "tests/support.hpp"
#include "autograd/autograd.hpp"

using namespace smallnet;

namespace {

// distinct: values spread evenly over [-2, 2] in a random order, so that no two are closer than the
// finite-difference step could bridge (max_pool2d's maximum must not change hands).
enum class Domain { any, away_from_zero, positive, distinct };

struct InputSpec {
    Shape shape;
    Domain domain = Domain::any;
};

struct OpCase {
    std::string op;  // the registered name; the case's output must come from this op
    std::vector<InputSpec> inputs;
    GradcheckFunction function;
};

Tensor make_input(const InputSpec& spec, std::uint64_t seed) {
    Tensor t = testing::random_tensor(spec.shape, seed, -2.0f, 2.0f);
    for (float& v : t.values()) {
        if (spec.domain == Domain::away_from_zero) v = std::copysign(std::fabs(v) * 0.5f + 0.2f, v);
        if (spec.domain == Domain::positive) v = std::fabs(v) * 0.5f + 0.3f;
    }
    if (spec.domain == Domain::distinct) {
        std::vector<std::int64_t> order(static_cast<std::size_t>(t.numel()));
        std::iota(order.begin(), order.end(), std::int64_t{0});
        std::sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) { return t.data()[a] < t.data()[b]; });
        const float spacing = 4.0f / static_cast<float>(std::max<std::int64_t>(t.numel() - 1, 1));
        for (std::size_t rank = 0; rank < order.size(); ++rank) t.data()[order[rank]] = -2.0f + spacing * static_cast<float>(rank);
    }
    return t;
}

Domain distinct_domain() { return Domain::distinct; }

// Class labels, as floats: one per row.
Tensor labels_of(std::initializer_list<float> values, Shape shape) {
    Tensor t(shape);
    std::copy(values.begin(), values.end(), t.data());
    return t;
}

Tensor target_like(const Shape& shape, std::uint64_t seed, float low = -1.0f, float high = 1.0f) {
    return testing::random_tensor(shape, seed, low, high);
}

std::vector<OpCase> all_cases() {
    using V = const std::vector<Var>&;
    const Domain far = Domain::away_from_zero;
    const Domain positive = Domain::positive;
    const Domain distinct = Domain::distinct;
    const auto conv = [](std::int64_t stride, Padding padding, Activation activation = Activation::linear) {
        return Conv2dOptions{.stride_height = stride, .stride_width = stride, .padding = padding, .activation = activation};
    };
    return {
        {"add", {{{2, 3}}, {{2, 3}}}, [](V v) { return v[0] + v[1]; }},
        {"add", {{{2, 3}}, {{3}}}, [](V v) { return v[0] + v[1]; }},
        {"add", {{{2, 1, 4}}, {{3, 1}}}, [](V v) { return add(v[0], v[1]); }},
        {"sub", {{{4, 1}}, {{1, 5}}}, [](V v) { return v[0] - v[1]; }},
        {"sub", {{{3, 2}}, {Shape{}}}, [](V v) { return v[0] - v[1]; }},
        {"mul", {{{3, 4}}, {{3, 4}}}, [](V v) { return v[0] * v[1]; }},
        {"mul", {{{2, 3, 4}}, {{3, 1}}}, [](V v) { return v[0] * v[1]; }},
        {"div", {{{3, 4}}, {{4}, far}}, [](V v) { return v[0] / v[1]; }},
        {"div", {{{1, 4}}, {{3, 1}, far}}, [](V v) { return v[0] / v[1]; }},
        {"neg", {{{5}}}, [](V v) { return -v[0]; }},
        {"add_scalar", {{{2, 2}}}, [](V v) { return v[0] + 3.0f; }},
        {"mul_scalar", {{{2, 2}}}, [](V v) { return 2.5f * v[0]; }},
        {"matmul", {{{3, 4}}, {{4, 5}}}, [](V v) { return matmul(v[0], v[1]); }},
        {"matmul", {{{1, 17}}, {{17, 3}}}, [](V v) { return matmul(v[0], v[1]); }},
        {"linear", {{{4, 3}}, {{3, 5}}, {{5}}}, [](V v) { return linear(v[0], v[1], v[2]); }},
        {"linear", {{{4, 3}}, {{3, 5}}, {{5}}}, [](V v) { return linear(v[0], v[1], v[2], Activation::sigmoid); }},
        {"linear", {{{4, 3}}, {{3, 5}}, {{5}}}, [](V v) { return linear(v[0], v[1], v[2], Activation::tanh); }},
        {"linear", {{{4, 3}}, {{3, 5}}, {{5}}}, [](V v) { return linear(v[0], v[1], v[2], Activation::softplus); }},
        {"linear", {{{4, 3}}, {{3, 5}}}, [](V v) { return linear(v[0], v[1], Var(), Activation::linear); }},
        // Batch 1: one-row products and the k = 1 weight gradient (tensor/matmul_small.cpp).
        {"linear", {{{1, 19}}, {{19, 21}}, {{21}}}, [](V v) { return linear(v[0], v[1], v[2], Activation::tanh); }},
        // relu and leaky_relu: the pre-activations must stay away from 0, so the inputs are tiny
        // perturbations around a point whose products are known to be far from 0.
        {"linear", {{{2, 2}, positive}, {{2, 3}, positive}, {{3}}},
         [](V v) { return linear(v[0], v[1], v[2] + (-0.5f), Activation::relu); }},
        {"linear_squared_error", {{{4, 3}}, {{3, 5}}, {{5}}},
         [](V v) { return linear_squared_error(v[0], v[1], v[2], Activation::sigmoid, target_like({4, 5}, 9, 0.0f, 1.0f)); }},
        {"linear_squared_error", {{{4, 3}}, {{3, 5}}, {{5}}},
         [](V v) { return linear_squared_error(v[0], v[1], v[2], Activation::tanh, target_like({4, 5}, 9)); }},
        {"linear_squared_error", {{{4, 3}}, {{3, 5}}},
         [](V v) { return linear_squared_error(v[0], v[1], Var(), Activation::linear, target_like({4, 5}, 9)); }},
        {"linear_squared_error", {{{2, 2}, positive}, {{2, 3}, positive}, {{3}}},
         [](V v) {
             return linear_squared_error(v[0], v[1], v[2] + (-0.5f), Activation::leaky_relu, target_like({2, 3}, 9), 0.1f);
         }},
        // Convolutions: 1, 3 and 17 channels, odd sizes, strides 1 and 2 with both paddings, 1x1 and
        // non-square kernels, batch 1, every fused activation.
        {"conv2d", {{{2, 5, 7, 3}}, {{3, 3, 3, 2}}, {{2}}},
         [=](V v) { return conv2d(v[0], v[1], v[2], conv(1, Padding::same, Activation::tanh)); }},
        {"conv2d", {{{1, 6, 5, 1}}, {{3, 3, 1, 4}}, {{4}}},
         [=](V v) { return conv2d(v[0], v[1], v[2], conv(2, Padding::valid, Activation::sigmoid)); }},
        {"conv2d", {{{1, 7, 7, 2}}, {{3, 2, 2, 3}}}, [=](V v) { return conv2d(v[0], v[1], Var(), conv(2, Padding::same)); }},
        {"conv2d", {{{1, 3, 4, 17}}, {{1, 1, 17, 3}}, {{3}}},
         [=](V v) { return conv2d(v[0], v[1], v[2], conv(1, Padding::valid, Activation::softplus)); }},
        // Outputs of a multiple of 64 values: the bias gradient is summed as rows of 64 values.
        {"conv2d", {{{2, 4, 4, 3}}, {{3, 3, 3, 2}}, {{2}}}, [=](V v) { return conv2d(v[0], v[1], v[2], conv(1, Padding::same)); }},
        {"conv2d_transpose", {{{1, 2, 2, 3}}, {{3, 3, 4, 3}}, {{4}}},
         [=](V v) { return conv2d_transpose(v[0], v[1], v[2], conv(2, Padding::same, Activation::sigmoid)); }},
        {"conv2d", {{{1, 4, 4, 2}, positive}, {{3, 3, 2, 2}, positive}, {{2}}},  // relu away from 0 (see linear)
         [=](V v) { return conv2d(v[0], v[1], v[2] + (-0.5f), conv(1, Padding::valid, Activation::relu)); }},
        {"conv2d_transpose", {{{2, 3, 4, 3}}, {{3, 3, 2, 3}}, {{2}}},
         [=](V v) { return conv2d_transpose(v[0], v[1], v[2], conv(2, Padding::same, Activation::tanh)); }},
        {"conv2d_transpose", {{{1, 3, 3, 1}}, {{3, 3, 4, 1}}}, [=](V v) { return conv2d_transpose(v[0], v[1], Var(), conv(2, Padding::valid)); }},
        {"conv2d_transpose", {{{1, 4, 3, 17}}, {{1, 1, 3, 17}}, {{3}}},
         [=](V v) { return conv2d_transpose(v[0], v[1], v[2], conv(1, Padding::same)); }},
        {"conv2d_transpose", {{{1, 3, 3, 2}}, {{2, 2, 3, 2}}, {{3}}},
         [=](V v) { return conv2d_transpose(v[0], v[1], v[2], conv(2, Padding::valid, Activation::softplus)); }},
        {"max_pool2d", {{{2, 5, 7, 3}, distinct}}, [](V v) { return max_pool2d(v[0], 2, 2, {.padding = Padding::same}); }},
        {"max_pool2d", {{{1, 7, 5, 17}, distinct}},
         [](V v) { return max_pool2d(v[0], 3, 3, {.stride_height = 2, .stride_width = 2}); }},
        {"upsampling2d", {{{2, 3, 4, 3}}}, [](V v) { return upsampling2d(v[0], 2, 2); }},
        {"upsampling2d", {{{1, 2, 3, 1}}}, [](V v) { return upsampling2d(v[0], 3, 1); }},
        {"flatten", {{{2, 3, 4, 5}}}, [](V v) { return flatten(v[0]); }},
        // Regularizers (away from 0, where |x| has its kink) and the variational code's ops, eps fixed.
        {"regularization_penalty", {{{3, 4}, far}}, [](V v) { return regularization_penalty(v[0], 0.3f, 0.7f); }},
        {"regularization_penalty", {{{2, 5}, far}}, [](V v) { return regularization_penalty(v[0], 0.0f, 1.5f, 0.5f); }},
        {"gaussian_sample", {{{4, 2}}, {{4, 2}}},
         [](V v) { return gaussian_sample(v[0], v[1], target_like({4, 2}, 17, -2.0f, 2.0f)); }},
        {"gaussian_kl_divergence", {{{4, 3}}, {{4, 3}}}, [](V v) { return gaussian_kl_divergence(v[0], v[1]); }},
        {"relu", {{{3, 5}, far}}, [](V v) { return relu(v[0]); }},
        {"leaky_relu", {{{3, 5}, far}}, [](V v) { return leaky_relu(v[0], 0.1f); }},
        {"sigmoid", {{{3, 5}}}, [](V v) { return sigmoid(v[0]); }},
        {"tanh", {{{3, 5}}}, [](V v) { return tanh(v[0]); }},
        {"softplus", {{{3, 5}}}, [](V v) { return softplus(v[0]); }},
        {"exp", {{{3, 5}}}, [](V v) { return exp(v[0]); }},
        {"log", {{{3, 5}, positive}}, [](V v) { return log(v[0]); }},
        {"square", {{{3, 5}}}, [](V v) { return square(v[0]); }},
        {"sqrt", {{{3, 5}, positive}}, [](V v) { return sqrt(v[0]); }},
        {"abs", {{{3, 5}, far}}, [](V v) { return abs(v[0]); }},
        {"sum", {{{3, 4}}}, [](V v) { return sum(v[0]); }},
        {"mean", {{{3, 4}}}, [](V v) { return mean(v[0]); }},
        {"sum_axis", {{{2, 3, 4}}}, [](V v) { return sum(v[0], 1); }},
        {"sum_axis", {{{2, 3, 4}}}, [](V v) { return sum(v[0], -1, true); }},
        {"mean_axis", {{{2, 3, 4}}}, [](V v) { return mean(v[0], 0); }},
        {"reshape", {{{2, 6}}}, [](V v) { return reshape(v[0], Shape{3, 4}); }},
        {"rows", {{{5, 3}}}, [](V v) { return rows(v[0], 1, 4); }},
        {"mean_squared_error", {{{4, 3}}}, [](V v) { return mean_squared_error(v[0], target_like({4, 3}, 9)); }},
        {"mean_absolute_error", {{{4, 3}}},
         [](V v) { return mean_absolute_error(v[0], target_like({4, 3}, 9, 3.0f, 4.0f)); }},
        {"binary_cross_entropy", {{{4, 3}, positive}},
         [](V v) { return binary_cross_entropy(v[0] * 0.5f, target_like({4, 3}, 9, 0.0f, 1.0f)); }},
        {"binary_cross_entropy_with_logits", {{{4, 3}}},
         [](V v) { return binary_cross_entropy_with_logits(v[0], target_like({4, 3}, 9, 0.0f, 1.0f)); }},
        // Classification: softmax over the last axis (a row of 1 class, 17 classes, rank 3), fused
        // after a product; the cross-entropies on probabilities (a softmax's, so inside (0, 1)) and on
        // logits, against labels ([rows] and [rows, 1]) and soft one-hot targets.
        {"softmax", {{{3, 5}}}, [](V v) { return softmax(v[0]); }},
        {"softmax", {{{2, 1}}}, [](V v) { return softmax(v[0]); }},
        {"softmax", {{{2, 3, 17}}}, [](V v) { return softmax(v[0]); }},
        {"softmax", {{{4, 3}}, {{3, 5}}, {{5}}}, [](V v) { return linear(v[0], v[1], v[2], Activation::softmax); }},
        {"softmax", {{{2, 5, 7, 3}}, {{3, 3, 3, 4}}, {{4}}},
         [=](V v) { return conv2d(v[0], v[1], v[2], conv(2, Padding::same, Activation::softmax)); }},
        {"sparse_categorical_cross_entropy", {{{4, 3}}},
         [](V v) { return sparse_categorical_cross_entropy(softmax(v[0]), labels_of({0, 2, 1, 2}, {4})); }},
        {"sparse_categorical_cross_entropy_with_logits", {{{4, 3}}},
         [](V v) { return sparse_categorical_cross_entropy_with_logits(v[0], labels_of({2, 0, 1, 1}, {4, 1})); }},
        {"sparse_categorical_cross_entropy_with_logits", {{{1, 17}}},
         [](V v) { return sparse_categorical_cross_entropy_with_logits(v[0], labels_of({16}, {1})); }},
        {"categorical_cross_entropy", {{{4, 3}}},
         [](V v) { return categorical_cross_entropy(softmax(v[0]), target_like({4, 3}, 9, 0.0f, 1.0f)); }},
        {"categorical_cross_entropy_with_logits", {{{4, 3}}},
         [](V v) { return categorical_cross_entropy_with_logits(v[0], target_like({4, 3}, 9, 0.0f, 1.0f)); }},
    };
}

}  // namespace

TEST_SUITE("autograd.all_ops") {

TEST_CASE("every registered op has a gradcheck case, and every case names a registered op") {
    std::set<std::string> covered;
    for (const OpCase& c : all_cases()) covered.insert(c.op);
    for (const std::string& op : registered_ops()) {
        CAPTURE(op);
        CHECK_MESSAGE(covered.count(op) == 1, "op '" << op << "' has no gradcheck case in all_ops_test.cpp");
    }
    const auto registered = registered_ops();
    for (const std::string& op : covered) {
        CAPTURE(op);
        CHECK(std::find(registered.begin(), registered.end(), op) != registered.end());
    }
}

TEST_CASE("every op's gradient matches central finite differences") {
    int index = 0;
    for (const OpCase& c : all_cases()) {
        CAPTURE(c.op);
        CAPTURE(index);
        std::vector<Tensor> inputs;
        for (std::size_t i = 0; i < c.inputs.size(); ++i) inputs.push_back(make_input(c.inputs[i], 100 * index + i));
        // The output must come from the op under test, so the case really checks that op's backward.
        std::vector<Var> leaves;
        for (const Tensor& t : inputs) leaves.emplace_back(t.clone(), true);
        CHECK(std::string(c.function(leaves).op_name()) == c.op);
        const GradcheckResult result = gradcheck(c.function, inputs);
        INFO(result.message);
        CHECK(result.passed);
        ++index;
    }
}

TEST_CASE("a two-layer network's loss passes gradcheck") {
    const Tensor target = target_like({6, 2}, 77, 0.0f, 1.0f);
    auto network = [&](const std::vector<Var>& v) {
        Var hidden = linear(v[0], v[1], v[2], Activation::tanh);
        Var output = linear(hidden, v[3], v[4], Activation::sigmoid);
        return mean_squared_error(output, target);
    };
    const std::vector<Tensor> inputs = {make_input({{6, 4}}, 1), make_input({{4, 8}}, 2), make_input({{8}}, 3),
                                        make_input({{8, 2}}, 4), make_input({{2}}, 5)};
    const GradcheckResult result = gradcheck(network, inputs);
    INFO(result.message);
    CHECK(result.passed);
}

TEST_CASE("a small convolutional autoencoder's loss passes gradcheck") {
    const Tensor target = target_like({2, 5, 6, 1}, 78, 0.0f, 1.0f);
    auto network = [&](const std::vector<Var>& v) {
        const Conv2dOptions same{.padding = Padding::same, .activation = Activation::tanh};
        Var code = max_pool2d(conv2d(v[0], v[1], v[2], same), 2, 2, {.padding = Padding::same});  // [2, 3, 3, 4]
        Var up = conv2d_transpose(code, v[3], v[4], {.stride_height = 2, .stride_width = 2, .padding = Padding::same,
                                                     .activation = Activation::tanh});  // [2, 6, 6, 3]
        Var cropped = conv2d(upsampling2d(up, 1, 1), v[5], v[6], {.padding = Padding::valid, .activation = Activation::sigmoid});
        return binary_cross_entropy(cropped, target);  // [2, 5, 6, 1] from a 2x1 kernel
    };
    const std::vector<Tensor> inputs = {make_input({{2, 5, 6, 1}, distinct_domain()}, 1), make_input({{3, 3, 1, 4}}, 2),
                                        make_input({{4}}, 3), make_input({{3, 3, 3, 4}}, 4), make_input({{3}}, 5),
                                        make_input({{2, 1, 3, 1}}, 6), make_input({{1}}, 7)};
    const GradcheckResult result = gradcheck(network, inputs);
    INFO(result.message);
    CHECK(result.passed);
}

TEST_CASE("linear_squared_error equals linear then mean_squared_error, in value and in every gradient") {
    const Tensor target = target_like({7, 5}, 31, 0.0f, 1.0f);
    for (Activation activation : {Activation::linear, Activation::relu, Activation::leaky_relu, Activation::sigmoid,
                                  Activation::tanh, Activation::softplus}) {
        CAPTURE(static_cast<int>(activation));
        // An upstream gradient other than 1 (the loss scaled) must scale every gradient.
        for (float upstream : {1.0f, 3.0f}) {
            CAPTURE(upstream);
            std::vector<Var> fused, plain;
            for (std::uint64_t i = 0; i < 3; ++i) {
                const Tensor value = make_input({i == 0 ? Shape{7, 4} : i == 1 ? Shape{4, 5} : Shape{5}}, 40 + i);
                fused.emplace_back(value.clone(), true);
                plain.emplace_back(value.clone(), true);
            }
            Var fused_loss = linear_squared_error(fused[0], fused[1], fused[2], activation, target, 0.2f) * upstream;
            Var plain_loss = mean_squared_error(linear(plain[0], plain[1], plain[2], activation, 0.2f), target) * upstream;
            CHECK(fused_loss.value().item() == doctest::Approx(plain_loss.value().item()).epsilon(1e-6));
            fused_loss.backward();
            plain_loss.backward();
            for (std::size_t i = 0; i < 3; ++i) {
                CAPTURE(i);
                const Tensor& expected = plain[i].grad();
                CHECK_CLOSE(testing::compare(fused[i].grad(), std::vector<double>(expected.data(), expected.data() + expected.numel()),
                                             1e-6, 1e-5));
            }
        }
    }
    NoGrad inference;
    const Var x(make_input({{7, 4}}, 50)), kernel(make_input({{4, 5}}, 51));
    CHECK(linear_squared_error(x, kernel, Var(), Activation::sigmoid, target).value().item() ==
          doctest::Approx(mean_squared_error(linear(x, kernel, Var(), Activation::sigmoid), target).value().item()).epsilon(1e-6));
    CHECK_THROWS_WITH_AS(linear_squared_error(x, kernel, Var(), Activation::sigmoid, zeros({7, 4})),
                         "linear_squared_error: shape [7, 5] and shape [7, 4]: the layer's output and the target must have one shape",
                         std::invalid_argument);
}

}  // TEST_SUITE
