// libFuzzer target: read_code_file on arbitrary bytes. A FileError is a refusal; anything else it
// throws, a crash, a sanitizer report, or an accepted file whose fields do not account for exactly its
// size, or whose levels do not fit their bits, is a finding.

#include <cstdint>
#include <cstdlib>

#include "nn/io/code_file.hpp"
#include "nn/io/file_error.hpp"
#include "tests/fuzz/memory_file.hpp"

using namespace smallnet;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static fuzzing::MemoryFile file;
    file.replace({data, size});
    QuantizedCodes codes;
    try {
        codes = read_code_file(file.path());
    } catch (const FileError&) {
        return 0;
    }
    const std::uint64_t expected = 40 + 8 * static_cast<std::uint64_t>(codes.code_size) +
                                   payload_bytes(codes.count(), codes.code_size, codes.bits) + 4;
    if (expected != size) std::abort();
    for (const std::uint16_t level : codes.levels)
        if (level >> codes.bits) std::abort();
    return 0;
}
