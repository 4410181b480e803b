#include "nn/io/safetensors.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "nn/io/atomic_file.hpp"
#include "nn/io/file_error.hpp"
#include "nn/io/input_file.hpp"

namespace smallnet {

// Payloads are copied as they are in memory; a big-endian port would byte-swap them here.
static_assert(std::endian::native == std::endian::little, "safetensors payloads are little-endian");

namespace {

using json = nlohmann::ordered_json;

constexpr const char* metadata_key = "__metadata__";
constexpr std::uint64_t f32_bytes = 4;

// Every dtype of the format, so a file in another one gets "not supported" rather than "unknown".
bool is_known_dtype(const std::string& dtype) {
    static const std::set<std::string> known = {"BOOL",   "U8",      "I8",      "F8_E5M2", "F8_E4M3", "F8_E8M0",
                                                "I16",    "U16",     "F16",     "BF16",    "I32",     "U32",
                                                "F32",    "F64",     "I64",     "U64",     "F4",      "F6_E2M3",
                                                "F6_E3M2", "C64"};
    return known.count(dtype) != 0;
}

struct Entry {
    std::string name;
    Shape shape;
    std::uint64_t begin = 0;
    std::uint64_t end = 0;
};

struct Header {
    std::vector<Entry> entries;  // in the header's order
    std::map<std::string, std::string> metadata;
    std::uint64_t data_start = 0;  // 8 + N
};

std::string in_quotes(const std::string& name) { return "\"" + name + "\""; }

std::string offsets_text(const Entry& e) {
    return "[" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "]";
}

// nlohmann keeps the last of two equal keys; the format forbids them, so the parse is watched.
json parse_header(const std::filesystem::path& path, const std::string& text) {
    std::vector<std::set<std::string>> open_objects;
    std::string tensor;  // the top-level key being parsed, for messages
    const json::parser_callback_t watch = [&](int, json::parse_event_t event, json& parsed) {
        if (event == json::parse_event_t::object_start) open_objects.emplace_back();
        if (event == json::parse_event_t::object_end) open_objects.pop_back();
        if (event == json::parse_event_t::key) {
            const std::string key = parsed.get<std::string>();
            if (open_objects.size() == 1) tensor = key;
            if (!open_objects.back().insert(key).second) {
                if (open_objects.size() == 1) throw FileError(path, "duplicate tensor name " + in_quotes(key));
                throw FileError(path, "tensor " + in_quotes(tensor) + ": duplicate field " + in_quotes(key));
            }
        }
        return true;
    };
    try {
        return json::parse(text, watch);
    } catch (const json::parse_error& e) {
        throw FileError(path, 8 + (e.byte > 0 ? e.byte - 1 : 0), std::string("malformed JSON header: ") + e.what());
    } catch (const json::exception& e) {
        // The parser also throws out_of_range (406) for a number beyond a double, like 1E776; it carries
        // no position. Found by tests/fuzz/safetensors_fuzz.
        throw FileError(path, 8, std::string("malformed JSON header: ") + e.what());
    }
}

std::uint64_t unsigned_integer(const std::filesystem::path& path, const std::string& where, const json& value) {
    if (value.is_number_unsigned()) return value.get<std::uint64_t>();
    if (value.is_number_integer() && value.get<std::int64_t>() >= 0) return value.get<std::uint64_t>();
    throw FileError(path, where + " is " + value.dump() + "; expected a non-negative integer");
}

const json& field(const std::filesystem::path& path, const std::string& name, const json& entry, const char* key) {
    const auto found = entry.find(key);
    if (found == entry.end()) throw FileError(path, "tensor " + in_quotes(name) + ": no " + in_quotes(key) + " field");
    return *found;
}

Entry parse_entry(const std::filesystem::path& path, const std::string& name, const json& entry,
                  std::uint64_t buffer_bytes) {
    const std::string where = "tensor " + in_quotes(name);
    if (!entry.is_object()) throw FileError(path, where + ": entry is " + entry.dump() + ", not an object");

    const json& dtype = field(path, name, entry, "dtype");
    if (!dtype.is_string()) throw FileError(path, where + ": dtype is " + dtype.dump() + ", not a string");
    const std::string type = dtype.get<std::string>();
    if (type != "F32") {
        if (is_known_dtype(type))
            throw FileError(path, where + ": dtype " + type + " is not supported; smallnet reads F32 only");
        throw FileError(path, where + ": unknown dtype " + in_quotes(type));
    }

    const json& shape = field(path, name, entry, "shape");
    if (!shape.is_array()) throw FileError(path, where + ": shape is " + shape.dump() + ", not an array");
    if (shape.size() > static_cast<std::size_t>(Shape::max_rank))
        throw FileError(path, where + ": shape has " + std::to_string(shape.size()) +
                                  " dimensions; smallnet tensors have at most " + std::to_string(Shape::max_rank));
    std::vector<std::int64_t> dims;
    bool empty = false;
    for (std::size_t i = 0; i < shape.size(); ++i) {
        const std::uint64_t d = unsigned_integer(path, where + ": shape entry " + std::to_string(i), shape[i]);
        if (d > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            throw FileError(path, where + ": shape entry " + std::to_string(i) + " is " + std::to_string(d) +
                                      ", too large");
        dims.push_back(static_cast<std::int64_t>(d));
        empty = empty || d == 0;
    }
    // Checked multiplication: a huge shape must be an error, not a wrapped-around small size. The
    // non-zero dimensions are checked even when one is 0 (no bytes): the tensor's strides are their
    // products, which must fit (UBSan caught [2^40, 2^40, 0] overflowing them in the fuzz target).
    std::uint64_t bytes = f32_bytes;
    for (std::int64_t d : dims)
        if (d != 0 && __builtin_mul_overflow(bytes, static_cast<std::uint64_t>(d), &bytes))
            throw FileError(path, where + ": shape " + shape.dump() + " holds more bytes than 2^64");
    if (bytes > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        throw FileError(path, where + ": shape " + shape.dump() + " holds more than 2^63 bytes");
    if (empty) bytes = 0;

    const json& offsets = field(path, name, entry, "data_offsets");
    if (!offsets.is_array() || offsets.size() != 2)
        throw FileError(path, where + ": data_offsets is " + offsets.dump() + "; expected [begin, end]");
    Entry result{name, Shape(dims), unsigned_integer(path, where + ": data_offsets[0]", offsets[0]),
                 unsigned_integer(path, where + ": data_offsets[1]", offsets[1])};
    if (result.end < result.begin)
        throw FileError(path, where + ": data_offsets " + offsets_text(result) + " end before they begin");
    if (result.end - result.begin != bytes)
        throw FileError(path, where + ": data_offsets " + offsets_text(result) + " hold " +
                                  std::to_string(result.end - result.begin) + " bytes but F32 shape " +
                                  result.shape.to_string() + " needs " + std::to_string(bytes));
    if (result.end > buffer_bytes)
        throw FileError(path, where + ": data_offsets " + offsets_text(result) + " run past the end of the " +
                                  std::to_string(buffer_bytes) + "-byte data buffer");
    return result;
}

std::map<std::string, std::string> parse_metadata(const std::filesystem::path& path, const json& value) {
    if (!value.is_object()) throw FileError(path, "__metadata__ is " + value.dump() + ", not an object");
    std::map<std::string, std::string> metadata;
    for (const auto& [key, item] : value.items()) {
        if (!item.is_string())
            throw FileError(path, "__metadata__: the value of " + in_quotes(key) + " is " + item.dump() +
                                      ", not a string");
        metadata[key] = item.get<std::string>();
    }
    return metadata;
}

// The tensors, sorted by offset, must tile the data buffer: from 0, no gaps, no overlaps, to its end.
void check_layout(const std::filesystem::path& path, const Header& header, std::uint64_t buffer_bytes) {
    std::vector<const Entry*> sorted;
    for (const Entry& e : header.entries) sorted.push_back(&e);
    std::stable_sort(sorted.begin(), sorted.end(), [](const Entry* a, const Entry* b) {
        return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    std::uint64_t covered = 0;
    const Entry* previous = nullptr;
    for (const Entry* e : sorted) {
        if (e->begin < covered)
            throw FileError(path, "tensors " + in_quotes(previous->name) + " and " + in_quotes(e->name) +
                                      " overlap: data_offsets " + offsets_text(*previous) + " and " + offsets_text(*e));
        if (e->begin > covered)
            throw FileError(path, "a gap of " + std::to_string(e->begin - covered) +
                                      " bytes in the data buffer before tensor " + in_quotes(e->name) +
                                      " (data_offsets " + offsets_text(*e) + ")");
        covered = e->end;
        previous = e;
    }
    if (covered != buffer_bytes)
        throw FileError(path, header.data_start + covered,
                        std::to_string(buffer_bytes - covered) + " bytes after the end of the last tensor's data");
}

Header read_header(InputFile& file) {
    const std::filesystem::path& path = file.path();
    const std::uint64_t file_bytes = file.size();
    if (file_bytes < 8)
        throw FileError(path, 0, "the file is " + std::to_string(file_bytes) +
                                     " bytes, too short for the 8-byte header length");
    std::array<std::byte, 8> length_bytes{};
    file.read_at(0, length_bytes, "header length");
    std::uint64_t length = 0;
    for (int i = 7; i >= 0; --i) length = length << 8 | std::to_integer<std::uint64_t>(length_bytes[i]);
    if (length > safetensors_max_header_bytes)
        throw FileError(path, 0, "header length " + std::to_string(length) + " exceeds the limit of " +
                                     std::to_string(safetensors_max_header_bytes) + " bytes");
    if (length > file_bytes - 8)
        throw FileError(path, 0, "header length " + std::to_string(length) + " runs past the end of the " +
                                     std::to_string(file_bytes) + "-byte file");
    std::string text(length, '\0');
    file.read_at(8, std::as_writable_bytes(std::span(text)), "JSON header");
    if (text.empty() || text[0] != '{') throw FileError(path, 8, "the JSON header does not start with '{'");

    Header header;
    header.data_start = 8 + length;
    const std::uint64_t buffer_bytes = file_bytes - header.data_start;
    const json parsed = parse_header(path, text);
    for (const auto& [key, value] : parsed.items()) {
        if (key == metadata_key)
            header.metadata = parse_metadata(path, value);
        else
            header.entries.push_back(parse_entry(path, key, value, buffer_bytes));
    }
    check_layout(path, header, buffer_bytes);
    return header;
}

}  // namespace

void save_safetensors(const std::filesystem::path& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata) {
    json header = json::object();
    if (!metadata.empty()) header[metadata_key] = metadata;
    std::uint64_t offset = 0;
    for (const auto& [name, tensor] : tensors) {
        if (name == metadata_key) throw FileError(path, "cannot name a tensor \"__metadata__\"");
        if (header.contains(name)) throw FileError(path, "cannot write two tensors named " + in_quotes(name));
        if (!tensor.defined()) throw FileError(path, "cannot write tensor " + in_quotes(name) + ": it is undefined");
        const std::uint64_t bytes = static_cast<std::uint64_t>(tensor.numel()) * f32_bytes;
        header[name] = {{"dtype", "F32"},
                        {"shape", std::vector<std::int64_t>(tensor.shape().begin(), tensor.shape().end())},
                        {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    std::string text;
    try {
        text = header.dump();
    } catch (const json::exception& e) {  // a name that is not valid UTF-8
        throw FileError(path, std::string("cannot write the JSON header: ") + e.what());
    }
    text.append((8 - text.size() % 8) % 8, ' ');

    std::array<std::byte, 8> length{};
    for (int i = 0; i < 8; ++i) length[i] = static_cast<std::byte>(static_cast<std::uint64_t>(text.size()) >> (8 * i));
    write_file_atomically(path, [&](FileWriter& out) {
        out.write(length);
        out.write(text);
        for (const auto& entry : tensors) out.write(std::as_bytes(entry.second.values()));
    });
}

SafetensorsContents read_safetensors(const std::filesystem::path& path) {
    InputFile file(path);
    Header header = read_header(file);
    SafetensorsContents contents;
    contents.metadata = std::move(header.metadata);
    for (const Entry& e : header.entries) {
        Tensor tensor(e.shape);
        file.read_at(header.data_start + e.begin, std::as_writable_bytes(tensor.values()),
                     "data for tensor " + in_quotes(e.name));
        contents.tensors.emplace_back(e.name, std::move(tensor));
    }
    return contents;
}

NamedTensors load_safetensors(const std::filesystem::path& path) { return read_safetensors(path).tensors; }

std::map<std::string, std::string> safetensors_metadata(const std::filesystem::path& path) {
    InputFile file(path);
    return read_header(file).metadata;
}

}  // namespace smallnet
