#include "tensor/precision.hpp"

#include <stdexcept>
#include <string>

namespace smallnet {

std::string_view precision_name(Precision precision) {
    switch (precision) {
        case Precision::fp32: return "fp32";
        case Precision::bf16: return "bf16";
    }
    return "unknown";
}

Precision parse_precision(std::string_view name) {
    for (Precision precision : {Precision::fp32, Precision::bf16})
        if (precision_name(precision) == name) return precision;
    throw std::invalid_argument("unknown precision '" + std::string(name) + "' (expected fp32 or bf16)");
}

}  // namespace smallnet
