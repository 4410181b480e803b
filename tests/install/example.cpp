// A program outside the tree, built against an installed smallnet with pkg-config alone
// (tests/install/check.sh). It prints what it computed and fails on a wrong answer.
#include <cstdio>
#include <tensor/creation.hpp>
#include <tensor/simd.hpp>
#include <tensor/threads.hpp>

int main() {
    using namespace smallnet;
    Tensor x = arange(6).reshape({2, 3});
    Tensor rows = x.rows(1, 2);
    std::printf("smallnet: instruction set %s, %d threads, row 1 = [%g, %g, %g]\n",
                std::string(instruction_set_name(active_instruction_set())).c_str(), num_threads(),
                rows.at({0, 0}), rows.at({0, 1}), rows.at({0, 2}));
    return rows.at({0, 2}) == 5.0f ? 0 : 1;
}
