#pragma once
// The bytes of a raw IDX file holding `array`: what an accepted input must have been (fuzz targets).

#include <cstdint>
#include <vector>

#include "nn/io/idx.hpp"

namespace smallnet::fuzzing {

inline std::vector<std::uint8_t> serialized(const IdxArray& array) {
    std::vector<std::uint8_t> file = {0, 0, 0x08, static_cast<std::uint8_t>(array.dims.size())};
    for (std::int64_t dim : array.dims)
        for (int shift = 24; shift >= 0; shift -= 8) file.push_back(static_cast<std::uint8_t>(dim >> shift));
    file.insert(file.end(), array.bytes.begin(), array.bytes.end());
    return file;
}

}  // namespace smallnet::fuzzing
