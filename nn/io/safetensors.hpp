#pragma once
// safetensors files (huggingface/safetensors, TOOLCHAIN §7.1): an 8-byte little-endian header length N,
// N bytes of JSON naming each tensor's dtype, shape and data_offsets, then the tensors' bytes packed
// back to back. smallnet reads and writes F32 only.

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.hpp"

namespace smallnet {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

struct SafetensorsContents {
    NamedTensors tensors;                         // in the header's order
    std::map<std::string, std::string> metadata;  // the "__metadata__" object
};

// The most header bytes a file may declare (the reference implementation's limit).
inline constexpr std::uint64_t safetensors_max_header_bytes = 100'000'000;

// Writes the tensors in the order given, each F32 little-endian in C order, with their data packed
// contiguously from offset 0; the JSON header is padded with spaces to a multiple of 8 bytes so the
// data starts 8-aligned. Names must be unique and not "__metadata__". Atomic (see atomic_file.hpp).
void save_safetensors(const std::filesystem::path& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Reads and checks the whole file; throws FileError naming the file and the tensor or field for a
// header length beyond the limit or the file, malformed JSON, duplicate names, a dtype other than F32,
// a bad shape, data_offsets that disagree with the shape, overlap, leave gaps or do not cover the data
// exactly, and metadata values that are not strings.
SafetensorsContents read_safetensors(const std::filesystem::path& path);
NamedTensors load_safetensors(const std::filesystem::path& path);
// Only the header is read (and fully checked against the file's size).
std::map<std::string, std::string> safetensors_metadata(const std::filesystem::path& path);

}  // namespace smallnet
