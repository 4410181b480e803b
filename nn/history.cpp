#include "nn/history.hpp"

namespace smallnet {

std::optional<double> find_value(const NamedValues& values, std::string_view name) {
    for (const auto& [key, value] : values)
        if (key == name) return value;
    return std::nullopt;
}

std::string StopPoint::describe() const {
    return "at epoch " + std::to_string(epoch) + ", step " + std::to_string(step) + " of " + std::to_string(steps);
}

}  // namespace smallnet
