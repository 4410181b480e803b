// libFuzzer target: read_safetensors on arbitrary bytes, then load_model's reading of a whole-model
// file (model_from_contents) on what it accepts. A FileError is a refusal; anything else they throw, a
// crash, a sanitizer report, or an accepted file whose tensors do not exactly fill the data after the
// header is a finding.

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "nn/io/file_error.hpp"
#include "nn/io/safetensors.hpp"
#include "nn/model_file.hpp"
#include "tests/fuzz/memory_file.hpp"

using namespace smallnet;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static fuzzing::MemoryFile file;
    file.replace({data, size});
    SafetensorsContents contents;
    try {
        contents = read_safetensors(file.path());
    } catch (const FileError&) {
        return 0;
    }
    if (size < 8) std::abort();
    std::uint64_t header_bytes = 0;
    for (int i = 7; i >= 0; --i) header_bytes = header_bytes << 8 | data[i];
    std::uint64_t tensor_bytes = 0;
    for (const auto& [name, tensor] : contents.tensors) tensor_bytes += static_cast<std::uint64_t>(tensor.numel()) * 4;
    if (8 + header_bytes + tensor_bytes != size) std::abort();
    try {
        model_from_contents(contents, file.path());
    } catch (const FileError&) {
    }
    return 0;
}
