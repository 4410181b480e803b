#include "nn/history.hpp"

namespace smallnet {

std::optional<double> find_value(const NamedValues& values, std::string_view name) {
    for (const auto& [key, value] : values)
        if (key == name) return value;
    return std::nullopt;
}

}  // namespace smallnet
