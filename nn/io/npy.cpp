#include "nn/io/npy.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cstdint>
#include <limits>
#include <vector>

#include "nn/io/atomic_file.hpp"
#include "nn/io/file_error.hpp"
#include "nn/io/input_file.hpp"

namespace smallnet {

// Payloads are copied as they are in memory; a big-endian port would byte-swap them here.
static_assert(std::endian::native == std::endian::little, "npy payloads are written as '<f4'");

namespace {

constexpr std::string_view magic = "\x93NUMPY";
constexpr std::size_t alignment = 64;  // numpy's ARRAY_ALIGN
// numpy refuses headers beyond 10000 bytes by default; a little more room costs nothing.
constexpr std::uint64_t max_header_bytes = 100'000;

std::string shape_tuple(const Shape& shape) {
    std::string text = "(";
    for (int i = 0; i < shape.rank(); ++i) {
        if (i) text += ", ";
        text += std::to_string(shape[i]);
    }
    if (shape.rank() == 1) text += ',';  // a 1-tuple needs its comma, or Python reads a plain number
    return text + ")";
}

// The header dict is a Python literal; this reads the subset numpy writes: a dict of string keys whose
// values are strings, True/False, or tuples of integers.
class DictParser {
public:
    DictParser(const std::filesystem::path& path, const std::string& text, std::uint64_t base)
        : path_(path), text_(text), base_(base) {}

    std::string descr;
    bool fortran_order = false;
    std::vector<std::int64_t> shape;

    void parse() {
        bool seen_descr = false, seen_order = false, seen_shape = false;
        expect('{');
        while (skip_space(), peek() != '}') {
            const std::size_t key_at = at_;
            const std::string key = string();
            expect(':');
            if (key == "descr") {
                skip_space();
                descr = string();
                seen_descr = true;
            } else if (key == "fortran_order") {
                fortran_order = boolean();
                seen_order = true;
            } else if (key == "shape") {
                shape = tuple();
                seen_shape = true;
            } else {
                fail_at(key_at, "unexpected key '" + key + "'");
            }
            skip_space();
            if (peek() == ',') ++at_;
            else if (peek() != '}') fail("expected ',' or '}'");
        }
        ++at_;
        while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_]))) ++at_;
        if (at_ != text_.size()) fail("unexpected text after the header dict");
        if (!seen_descr) fail_at(0, "no 'descr' key");
        if (!seen_order) fail_at(0, "no 'fortran_order' key");
        if (!seen_shape) fail_at(0, "no 'shape' key");
    }

private:
    [[noreturn]] void fail_at(std::size_t at, const std::string& why) const {
        throw FileError(path_, base_ + at, "malformed header: " + why);
    }
    [[noreturn]] void fail(const std::string& why) const { fail_at(at_, why); }
    char peek() const { return at_ < text_.size() ? text_[at_] : '\0'; }
    void skip_space() {
        while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_]))) ++at_;
    }
    void expect(char c) {
        skip_space();
        if (peek() != c) fail(std::string("expected '") + c + "'");
        ++at_;
    }
    std::string string() {
        skip_space();
        const char quote = peek();
        if (quote != '\'' && quote != '"') fail("expected a quoted string");
        const std::size_t end = text_.find(quote, at_ + 1);
        if (end == std::string::npos) fail("unterminated string");
        std::string value = text_.substr(at_ + 1, end - at_ - 1);
        at_ = end + 1;
        return value;
    }
    bool boolean() {
        skip_space();
        if (text_.compare(at_, 4, "True") == 0) return at_ += 4, true;
        if (text_.compare(at_, 5, "False") == 0) return at_ += 5, false;
        fail("expected True or False");
    }
    std::vector<std::int64_t> tuple() {
        std::vector<std::int64_t> dims;
        expect('(');
        while (skip_space(), peek() != ')') {
            if (!std::isdigit(static_cast<unsigned char>(peek()))) fail("expected a non-negative integer");
            std::int64_t value = 0;
            while (std::isdigit(static_cast<unsigned char>(peek()))) {
                const int digit = text_[at_++] - '0';
                if (value > (std::numeric_limits<std::int64_t>::max() - digit) / 10) fail("dimension too large");
                value = value * 10 + digit;
            }
            // Python also writes 3L in old files; tolerate the suffix.
            if (peek() == 'L') ++at_;
            dims.push_back(value);
            skip_space();
            if (peek() == ',') ++at_;
            else if (peek() != ')') fail("expected ',' or ')' in the shape");
        }
        ++at_;
        return dims;
    }

    const std::filesystem::path& path_;
    const std::string& text_;
    std::uint64_t base_;  // the file offset of text_[0]
    std::size_t at_ = 0;
};

}  // namespace

std::string npy_header(const Shape& shape) {
    std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape_tuple(shape) + ", }";
    const std::size_t preamble = magic.size() + 2 + 2;  // magic, version, u16 length
    const std::size_t unpadded = preamble + dict.size() + 1;  // + '\n'
    dict.append((alignment - unpadded % alignment) % alignment, ' ');
    dict += '\n';
    std::string header(magic);
    header += '\x01';
    header += '\x00';
    header += static_cast<char>(dict.size() & 0xFF);
    header += static_cast<char>(dict.size() >> 8);
    return header + dict;
}

void save_npy(const std::filesystem::path& path, const Tensor& tensor) {
    if (!tensor.defined()) throw FileError(path, "cannot write an undefined tensor");
    const std::string header = npy_header(tensor.shape());
    write_file_atomically(path, [&](FileWriter& out) {
        out.write(header);
        out.write(std::as_bytes(tensor.values()));
    });
}

Tensor load_npy(const std::filesystem::path& path) {
    InputFile file(path);
    std::array<char, 10> preamble{};
    if (file.size() < 10)
        throw FileError(path, 0, "the file is " + std::to_string(file.size()) + " bytes, too short for an .npy header");
    file.read_at(0, std::as_writable_bytes(std::span(preamble)), "preamble");
    if (std::string_view(preamble.data(), magic.size()) != magic)
        throw FileError(path, 0, "not an .npy file: the magic \\x93NUMPY is missing");
    const int major = static_cast<unsigned char>(preamble[6]);
    const int minor = static_cast<unsigned char>(preamble[7]);
    if (major < 1 || major > 3 || minor != 0)
        throw FileError(path, 6, "unsupported .npy version " + std::to_string(major) + "." + std::to_string(minor));
    // Version 1 stores the header length as a u16, versions 2 and 3 as a u32; both little-endian.
    const std::size_t length_bytes = major == 1 ? 2 : 4;
    std::array<unsigned char, 4> raw_length{};
    file.read_at(8, std::as_writable_bytes(std::span(raw_length).first(length_bytes)), "header length");
    std::uint64_t length = 0;
    for (std::size_t i = length_bytes; i-- > 0;) length = length << 8 | raw_length[i];
    const std::uint64_t data_start = 8 + length_bytes + length;
    if (length > max_header_bytes)
        throw FileError(path, 8, "header length " + std::to_string(length) + " exceeds the limit of " +
                                     std::to_string(max_header_bytes) + " bytes");
    if (data_start > file.size())
        throw FileError(path, 8, "header length " + std::to_string(length) + " runs past the end of the " +
                                     std::to_string(file.size()) + "-byte file");
    std::string text(length, '\0');
    file.read_at(data_start - length, std::as_writable_bytes(std::span(text)), "header");

    DictParser dict(path, text, data_start - length);
    dict.parse();
    if (dict.descr != "<f4") {
        const std::string why = dict.descr == ">f4" ? " (big-endian)" : "";
        throw FileError(path, "dtype '" + dict.descr + "'" + why + " is not supported; smallnet reads '<f4' only");
    }
    if (dict.fortran_order) throw FileError(path, "Fortran-order arrays are not supported; save in C order");
    if (dict.shape.size() > static_cast<std::size_t>(Shape::max_rank))
        throw FileError(path, "shape has " + std::to_string(dict.shape.size()) +
                                  " dimensions; smallnet tensors have at most " + std::to_string(Shape::max_rank));
    // Checked multiplication, unless a zero makes the array empty whatever the other dimensions are.
    const bool empty = std::find(dict.shape.begin(), dict.shape.end(), 0) != dict.shape.end();
    std::uint64_t bytes = empty ? 0 : 4;
    for (std::int64_t d : dict.shape)
        if (!empty && __builtin_mul_overflow(bytes, static_cast<std::uint64_t>(d), &bytes))
            throw FileError(path, "shape " + Shape(dict.shape).to_string() + " holds more bytes than 2^64");
    const std::uint64_t available = file.size() - data_start;
    if (available < bytes)
        throw FileError(path, data_start, "truncated: expected " + std::to_string(bytes) + " bytes of data for shape " +
                                              Shape(dict.shape).to_string() + ", found " + std::to_string(available));
    if (available > bytes)
        throw FileError(path, data_start + bytes,
                        std::to_string(available - bytes) + " bytes after the end of the array data");
    Tensor tensor{Shape(dict.shape)};
    file.read_at(data_start, std::as_writable_bytes(tensor.values()), "array data");
    return tensor;
}

}  // namespace smallnet
