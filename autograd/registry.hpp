#pragma once
// The registry of differentiable ops: every op registers its name beside its definition, and the
// all-ops gradient test (tests/autograd/all_ops_test.cpp) fails for a registered op it does not check.

#include <string>
#include <vector>

namespace smallnet {

// The names of every registered op, sorted.
std::vector<std::string> registered_ops();

namespace detail {
bool register_op(const char* name);
}

}  // namespace smallnet

#define SMALLNET_CONCAT_INNER(a, b) a##b
#define SMALLNET_CONCAT(a, b) SMALLNET_CONCAT_INNER(a, b)
// Registers an op by name; write it beside the op's definition.
#define SMALLNET_REGISTER_OP(name) \
    [[maybe_unused]] static const bool SMALLNET_CONCAT(registered_op_, __LINE__) = ::smallnet::detail::register_op(name)
