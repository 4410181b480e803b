// libFuzzer target: read_idx on arbitrary bytes (raw IDX, or gzip when they start with 1f 8b).
// A reader may refuse the input with a FileError; anything else it throws, a crash, a sanitizer
// report or an accepted file that does not round-trip to the same bytes is a finding.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "nn/io/file_error.hpp"
#include "nn/io/idx.hpp"
#include "tests/fuzz/idx_bytes.hpp"
#include "tests/fuzz/memory_file.hpp"

using namespace smallnet;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static fuzzing::MemoryFile file;
    file.replace({data, size});
    IdxArray array;
    try {
        array = read_idx(file.path());
    } catch (const FileError&) {
        return 0;
    }
    const bool gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    if (gzip) return 0;  // the gzip target checks decompressed contents
    const std::vector<std::uint8_t> expected = fuzzing::serialized(array);
    if (expected.size() != size || std::memcmp(expected.data(), data, size) != 0) std::abort();
    return 0;
}
