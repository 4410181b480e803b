#include "autograd/registry.hpp"

#include <algorithm>
#include <mutex>
#include <set>

namespace smallnet {

namespace {
std::set<std::string>& names() {
    static std::set<std::string> registered;
    return registered;
}
std::mutex names_mutex;
}  // namespace

std::vector<std::string> registered_ops() {
    std::lock_guard lock(names_mutex);
    return {names().begin(), names().end()};
}

bool detail::register_op(const char* name) {
    std::lock_guard lock(names_mutex);
    names().insert(name);
    return true;
}

}  // namespace smallnet
