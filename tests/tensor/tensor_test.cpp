#include <stdexcept>
#include <string>

#include "tests/support.hpp"
#include "tensor/creation.hpp"
#include "tensor/tensor.hpp"

using namespace smallnet;

TEST_SUITE("tensor.tensor") {

TEST_CASE("shapes of rank 0 to 4 count their elements") {
    CHECK(Shape{}.rank() == 0);
    CHECK(Shape{}.numel() == 1);
    CHECK(Shape{7}.numel() == 7);
    CHECK(Shape{2, 3}.numel() == 6);
    CHECK(Shape{2, 3, 4}.numel() == 24);
    CHECK(Shape{2, 3, 4, 5}.numel() == 120);
    CHECK(Shape{2, 0, 4}.numel() == 0);
    CHECK(Shape{256, 784}.to_string() == "[256, 784]");
    CHECK(Shape{2, 3}.normalize_axis(-1) == 1);
    CHECK_THROWS_AS((Shape{2, 3}.normalize_axis(2)), std::out_of_range);
    CHECK_THROWS_AS((Shape{1, 2, 3, 4, 5, 6, 7}), std::invalid_argument);
    CHECK_THROWS_AS((Shape{2, -1}), std::invalid_argument);
}

TEST_CASE("storage is 64-byte aligned and zeros/ones/full fill it") {
    for (std::int64_t n : testing::awkward_sizes) {
        Tensor z = zeros(Shape{n});
        CHECK(reinterpret_cast<std::uintptr_t>(z.data()) % 64 == 0);
        for (float v : z.values()) CHECK(v == 0.0f);
        for (float v : ones(Shape{n}).values()) CHECK(v == 1.0f);
        for (float v : full(Shape{n}, -2.5f).values()) CHECK(v == -2.5f);
    }
}

TEST_CASE("rows() is a view that shares storage: a batch of a data set") {
    Tensor data = arange(12).reshape({4, 3});
    Tensor batch = data.rows(1, 3);
    CHECK(batch.shape() == Shape{2, 3});
    CHECK(batch.shares_storage_with(data));
    CHECK(batch.at({0, 0}) == 3.0f);
    CHECK(batch.at({1, 2}) == 8.0f);
    batch.at({0, 1}) = 100.0f;  // writes through to the data set
    CHECK(data.at({1, 1}) == 100.0f);
    CHECK(data.rows(4, 4).numel() == 0);
    CHECK_THROWS_WITH_AS(data.rows(2, 5), "rows: range [2, 5) is outside the 4 rows of shape [4, 3]",
                         std::out_of_range);
}

TEST_CASE("reshape is a view and infers one -1 dimension") {
    Tensor t = arange(24);
    Tensor r = t.reshape({2, -1, 4});
    CHECK(r.shape() == Shape{2, 3, 4});
    CHECK(r.shares_storage_with(t));
    CHECK(r.at({1, 2, 3}) == 23.0f);
    CHECK_THROWS_WITH_AS(t.reshape({5, 5}), "reshape: shape [24] and shape [5, 5]: element counts differ",
                         std::invalid_argument);
    CHECK_THROWS_AS(t.reshape({-1, -1}), std::invalid_argument);
    CHECK_THROWS_AS(t.reshape({5, -1}), std::invalid_argument);
}

TEST_CASE("clone copies; copies of the handle share") {
    Tensor a = arange(5);
    Tensor shared = a;
    Tensor copy = a.clone();
    a.at({0}) = 42.0f;
    CHECK(shared.at({0}) == 42.0f);
    CHECK(copy.at({0}) == 0.0f);
    CHECK_FALSE(copy.shares_storage_with(a));
    Tensor moved = std::move(shared);
    CHECK(moved.at({0}) == 42.0f);
    CHECK_FALSE(shared.defined());
}

TEST_CASE("from_buffer, arange, item and at check their arguments") {
    const float values[] = {1, 2, 3, 4, 5, 6};
    Tensor t = from_buffer(values, Shape{2, 3});
    CHECK(t.at({1, 0}) == 4.0f);
    CHECK_THROWS_WITH_AS(from_buffer(values, Shape{4, 2}),
                         "from_buffer: 6 values cannot fill shape [4, 2] (8 elements)", std::invalid_argument);
    CHECK(arange(0.0f, 1.0f, 0.25f).numel() == 4);
    CHECK(arange(5.0f, 0.0f, -2.0f).numel() == 3);
    CHECK(arange(3.0f, 1.0f).numel() == 0);
    CHECK(full(Shape{}, 7.0f).item() == 7.0f);
    CHECK_THROWS_AS(t.item(), std::invalid_argument);
    CHECK_THROWS_AS(t.at({2, 0}), std::out_of_range);
    CHECK_THROWS_AS(t.at({0}), std::out_of_range);
}

TEST_CASE("copy_from refuses another shape and names both") {
    Tensor a = zeros(Shape{2, 3});
    CHECK_THROWS_WITH_AS(a.copy_from(zeros(Shape{3, 2})), "copy_from: shape [2, 3] and shape [3, 2]: shapes differ",
                         std::invalid_argument);
}

TEST_CASE("released storage is reused for the next tensor of the same size") {
    const float* first;
    {
        Tensor a(Shape{1000, 3});
        first = a.data();
    }
    Tensor b(Shape{3000});
    CHECK(b.data() == first);
    CHECK(storage_cache_bytes() < (std::size_t{256} << 20));
}

TEST_CASE("the instruction set can be listed, forced and refused") {
    const auto sets = available_instruction_sets();
    REQUIRE(!sets.empty());
    CHECK(sets.front() == active_instruction_set());
    CHECK(sets.back() == InstructionSet::sse2);
    CHECK(parse_instruction_set("avx2") == InstructionSet::avx2);
    CHECK_THROWS_WITH_AS(parse_instruction_set("neon"), "unknown instruction set 'neon' (expected avx512, avx2 or sse2)",
                         std::invalid_argument);
    testing::for_each_instruction_set([](InstructionSet set) { CHECK(active_instruction_set() == set); });
    CHECK(active_instruction_set() == sets.front());
}

}  // TEST_SUITE
