// Every bad input issue 6 lists, one table row each, fed to the reader or program that takes it: the
// error must say what is wrong, where (file and offset, field, flag) and why, and a program must exit
// non-zero before it starts training.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <vector>

#include <zlib.h>

#include "nn/io/atomic_file.hpp"
#include "nn/io/code_file.hpp"
#include "nn/io/gzip.hpp"
#include "nn/io/idx.hpp"
#include "nn/io/mnist.hpp"
#include "nn/io/safetensors.hpp"
#include "nn/nn.hpp"
#include "tests/apps/run_app.hpp"
#include "tests/nn/io_support.hpp"
#include "tests/reliability/bad_input_support.hpp"
#include "tests/reliability/tiny_mnist.hpp"
#include "tests/support.hpp"

using namespace smallnet;
using namespace smallnet::testing;

namespace {

// ---- making inputs ------------------------------------------------------------------------------
InputMaker raw(const std::string& bytes, const std::string& name = "input") {
    return [=](const std::filesystem::path& folder) {
        write_raw(folder / name, bytes);
        return folder / name;
    };
}

std::string gzip_of(const std::string& bytes) {
    TemporaryFolder scratch;
    write_file_atomically(scratch / "g", [&](FileWriter& out) { write_gzip(out, {std::as_bytes(std::span(bytes))}); });
    return read_raw(scratch / "g");
}

// An IDX file's bytes: the magic with `type` and the dims, then the payload.
std::string idx(std::uint8_t type, const std::vector<std::uint32_t>& dims, const std::string& payload) {
    std::string bytes = {'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
    for (std::uint32_t d : dims) bytes += be32(d);
    return bytes + payload;
}

std::string u8_idx(const std::vector<std::uint32_t>& dims, char fill = '\x07') {
    std::size_t count = 1;
    for (std::uint32_t d : dims) count *= d;
    return idx(0x08, dims, std::string(count, fill));
}

// A valid gzip of 2000 bytes of IDX, with `damage` applied to the compressed bytes.
std::string damaged_gzip(const std::function<void(std::string&)>& damage) {
    std::string bytes = gzip_of(u8_idx({50, 40}));
    damage(bytes);
    return bytes;
}

// What `action` writes on stderr (file descriptor 2), which is sent to a file meanwhile.
template <class Action>
std::string stderr_of(Action&& action) {
    TemporaryFolder scratch;
    std::fflush(stderr);
    const int saved = ::dup(2);
    const int capture = ::open((scratch / "stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE((saved >= 0 && capture >= 0));
    ::dup2(capture, 2);
    ::close(capture);
    const auto restore = [&] {
        std::fflush(stderr);
        ::dup2(saved, 2);
        ::close(saved);
    };
    try {
        action();
    } catch (...) {
        restore();
        throw;
    }
    restore();
    return read_raw(scratch / "stderr");
}

// An MNIST-format folder holding train images [count, rows, columns] and labels.
InputMaker mnist_folder(const std::string& images, const std::string& labels) {
    return [=](const std::filesystem::path& folder) {
        std::filesystem::create_directories(folder / "mnist");
        if (!images.empty()) write_raw(folder / "mnist" / "train-images-idx3-ubyte", images);
        if (!labels.empty()) write_raw(folder / "mnist" / "train-labels-idx1-ubyte", labels);
        return folder / "mnist";
    };
}

std::string labels_idx(std::uint32_t count, std::uint8_t bad_at = 0, std::uint8_t bad_value = 0) {
    std::string bytes = idx(0x08, {count}, "");
    for (std::uint32_t i = 0; i < count; ++i) bytes += static_cast<char>(i % 10);
    if (bad_value) bytes[8 + bad_at] = static_cast<char>(bad_value);
    return bytes;
}

// A safetensors file with this exact header text and `data_bytes` bytes of data.
std::string safetensors(const std::string& header, std::size_t data_bytes) {
    return le64(header.size()) + header + std::string(data_bytes, '\x01');
}

std::string entry(const std::string& name, const std::string& shape, std::uint64_t begin, std::uint64_t end,
                  const std::string& dtype = "F32") {
    return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" +
           std::to_string(begin) + "," + std::to_string(end) + "]}";
}

// The model the weight files are loaded into: one Dense(3 -> 2), parameters "0.kernel" [3, 2] and
// "0.bias" [2].
Sequential small_model() {
    Sequential model({Input(3), Dense(2)}, "small");
    model.build(3);
    return model;
}

// The bytes of a file the model itself saved.
std::string saved_weights(const NamedTensors& tensors) {
    TemporaryFolder scratch;
    save_safetensors(scratch / "w", tensors);
    return read_raw(scratch / "w");
}

Tensor filled(const Shape& shape, float value) {
    Tensor t(shape);
    for (float& v : t.values()) v = value;
    return t;
}

Tensor with_value(Tensor t, std::size_t element, float value) {
    t.values()[element] = value;
    return t;
}

constexpr float not_a_number = std::numeric_limits<float>::quiet_NaN();
constexpr float infinity = std::numeric_limits<float>::infinity();

// An ae_mnist weight file (784 -> 8 -> 2 -> 8 -> 784) with `value` at `element` of its tensor number
// `tensor` (0: encoder.0.kernel, 1: encoder.0.bias, ...): what `ae_mnist encode --weights` reads.
void save_ae_mnist_weights(const std::filesystem::path& path, std::size_t tensor, std::size_t element, float value) {
    Sequential encoder({Input(784), Dense(8, "relu"), Dense(2, "relu")}, "encoder");
    Sequential decoder({Dense(8, "relu"), Dense(784, "sigmoid")}, "decoder");
    Sequential autoencoder({encoder, decoder}, "autoencoder");
    autoencoder.build(784);
    std::vector<Tensor> weights = autoencoder.get_weights();
    weights[tensor].values()[element] = value;
    autoencoder.set_weights(weights);
    autoencoder.save_weights(path);
}

// ---- running a table ----------------------------------------------------------------------------
void check_rows(const std::string& group, const std::vector<BadInputRow>& rows,
                const std::function<void(const std::filesystem::path&)>& read) {
    for (const BadInputRow& row : rows) {
        TemporaryFolder folder;
        CAPTURE(row.name);
        const std::filesystem::path input = row.make(folder.path());
        const std::string message = error_message_of([&] { read(input); });
        CAPTURE(message);
        // Where: every message starts with the file (or folder) it is about.
        CHECK(message.find(input.string()) != std::string::npos);
        CHECK(message.find(row.expected) != std::string::npos);
        record_bad_input(group, row.name, without_folder(message, folder.path().string()));
    }
}

constexpr std::uint32_t max_u32 = 0xFFFFFFFFu;

// ---- the programs' flags ------------------------------------------------------------------------
struct BadFlagsRow {
    std::string name;
    std::string program;    // "ae_mnist" or "ae2d"
    std::string arguments;  // "{data}" is a tiny MNIST folder, "{scratch}" a fresh folder
    int exit_code;          // 2: a usage error, 1: a run-time error
    std::string expected;   // a fragment of what the program writes on stderr
};

std::string substituted(std::string text, const std::string& key, const std::string& value) {
    for (std::size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size()))
        text.replace(at, key.size(), value);
    return text;
}

// ---- training -----------------------------------------------------------------------------------
// 20 points on a line in 4 dimensions, and an autoencoder that compresses them to 1 value.
Tensor line_data() {
    Generator g(42);
    Tensor x(Shape{20, 4});
    for (std::int64_t i = 0; i < 20; ++i) {
        const float t = g.uniform() * 2 - 1;
        for (int j = 0; j < 4; ++j) x.at({i, j}) = t * (0.3f + 0.2f * static_cast<float>(j));
    }
    return x;
}

Sequential line_autoencoder() {
    Sequential encoder({Input(4), Dense(8, "tanh"), Dense(1)}, "encoder");
    Sequential decoder({Dense(8, "tanh"), Dense(2 * 2)}, "decoder");
    return Sequential({encoder, decoder}, "autoencoder");
}

struct BadTrainingRow {
    std::string name;
    int after_epoch;      // the damage is done at the end of this epoch, before the checkpoint is saved
    int last_good_epoch;  // the epoch whose weights the checkpoint must keep
    std::function<void(Tensor& x, Sequential& model)> damage;
    std::string expected;  // the whole message
};

}  // namespace

TEST_SUITE("reliability.bad_input") {

TEST_CASE("IDX files: each bad file is refused with its offset and the reason") {
    const std::vector<BadInputRow> rows = {
        {"empty file", raw(""), "input: empty file"},
        {"header cut short", raw(std::string("\0\0\x08", 3)), "offset 0: truncated: expected a 4-byte IDX header, found 3 bytes"},
        {"wrong magic (a PNG)", raw("\x89PNG\r\n\x1a\n0000"), "offset 0: not an IDX file: bytes 0-1 are 0x89 0x50, expected 0x00 0x00"},
        {"wrong element type (float32)", raw(idx(0x0D, {2}, std::string(8, '\0'))),
         "offset 2: element type 0x0D (float32) is not supported; only 0x08 (unsigned byte) is"},
        {"unknown element type", raw(idx(0x42, {2}, "ab")), "offset 2: element type 0x42 (unknown) is not supported"},
        {"no dimensions", raw(idx(0x08, {}, "")), "offset 3: 0 dimensions; expected 1 to 4"},
        {"too many dimensions", raw(idx(0x08, {1, 1, 1, 1, 1}, "a")), "offset 3: 5 dimensions; expected 1 to 4"},
        {"dimension list cut short", raw(idx(0x08, {10}, "").replace(3, 1, "\x03")),
         "offset 4: truncated: expected 12 bytes of dimensions, found 4"},
        {"a zero dimension", raw(idx(0x08, {10, 0, 28}, "")), "offset 8: dimension 1 is 0"},
        {"dimension product overflows 64 bits", raw(idx(0x08, {max_u32, max_u32, max_u32, max_u32}, "")),
         "offset 4: dimensions [4294967295, 4294967295]... hold more than 4294967296 elements, the limit"},
        {"dimension product above the limit", raw(idx(0x08, {65536, 65537}, "")),
         "offset 4: dimensions [65536, 65537] hold more than 4294967296 elements, the limit"},
        {"dimensions claim 4 GB, file holds 10 bytes", raw(idx(0x08, {65535, 65535}, std::string(10, 'x'))),
         "offset 12: truncated: expected 4294836225 bytes of data for dimensions [65535, 65535], found 10"},
        {"data shorter than the dimensions", raw(idx(0x08, {10, 28, 28}, std::string(100, 'x'))),
         "offset 16: truncated: expected 7840 bytes of data for dimensions [10, 28, 28], found 100"},
        {"trailing garbage", raw(u8_idx({3}) + "junk"), "offset 11: trailing data after the 3-byte payload of dimensions [3]"},
        {"truncated .gz", raw(damaged_gzip([](std::string& b) { b.resize(b.size() / 2); }), "input.gz"),
         "truncated gzip stream: zlib: unexpected end of file"},
        {"truncated .gz, only the trailer missing", raw(damaged_gzip([](std::string& b) { b.resize(b.size() - 8); }), "input.gz"),
         "truncated gzip stream: zlib: unexpected end of file"},
        {".gz with a damaged CRC", raw(damaged_gzip([](std::string& b) { b[b.size() - 8] ^= 1; }), "input.gz"),
         "offset 2012: corrupt gzip data: zlib: incorrect data check (the CRC-32 or length in the gzip trailer"},
        {".gz with a damaged length", raw(damaged_gzip([](std::string& b) { b[b.size() - 4] ^= 1; }), "input.gz"),
         "offset 2012: corrupt gzip data: zlib: incorrect length check (the CRC-32 or length in the gzip trailer"},
        {".gz with damaged deflate data", raw(damaged_gzip([](std::string& b) { b[12] = '\xFF'; }), "input.gz"),
         "offset 7: corrupt gzip data: zlib: "},
        {"gzip magic, then nothing", raw("\x1f\x8b", "input.gz"), "offset 0: truncated gzip stream: zlib: unexpected end of file"},
        {".gz with its trailer cut by 3 bytes", raw(damaged_gzip([](std::string& b) { b.resize(b.size() - 3); }), "input.gz"),
         "truncated gzip stream: zlib: unexpected end of file"},
        {".gz with trailing garbage (gzip -t: trailing garbage ignored)", raw(damaged_gzip([](std::string& b) { b += "junk"; }), "input.gz"),
         "trailing garbage after the gzip stream, from byte "},
        {".gz with zero padding, then garbage", raw(damaged_gzip([](std::string& b) { b += std::string(512, '\0') + "x"; }), "input.gz"),
         "trailing garbage after the gzip stream, from byte "},
        {".gz of two members, the second cut short",
         raw(gzip_of(u8_idx({50, 40}).substr(0, 1000)) + gzip_of(u8_idx({50, 40}).substr(1000)).substr(0, 20), "input.gz"),
         "truncated gzip stream: zlib: unexpected end of file"},
        {".gz of two members, garbage after the second",
         raw(gzip_of(u8_idx({50, 40}).substr(0, 1000)) + gzip_of(u8_idx({50, 40}).substr(1000)) + "junk", "input.gz"),
         "trailing garbage after the gzip stream, from byte "},
        {"bad IDX inside a valid .gz", raw(gzip_of("\x89PNG\r\n\x1a\n0000"), "input.gz"),
         "offset 0: not an IDX file: bytes 0-1 are 0x89 0x50"},
        {"missing file", [](const std::filesystem::path& f) { return f / "nowhere"; },
         "cannot open for reading: No such file or directory"},
        {"a folder instead of a file", [](const std::filesystem::path& f) { return f; }, "is a folder, not a file"},
        {"unreadable (read fails: /proc/self/mem)", [](const std::filesystem::path&) { return std::filesystem::path("/proc/self/mem"); },
         "/proc/self/mem: offset 0: read error: Input/output error"},
        {"a named pipe nobody writes to (no hang)",
         [](const std::filesystem::path& f) {
             REQUIRE(::mkfifo((f / "pipe").c_str(), 0600) == 0);
             return f / "pipe";
         },
         "pipe: empty file"},
    };
    check_rows("IDX", rows, [](const std::filesystem::path& path) { read_idx(path); });
}

TEST_CASE("gzip files: zero padding after the stream (tar's) is read with a warning; members one after another are read whole") {
    TemporaryFolder folder;
    std::string contents = idx(0x08, {50, 40}, "");
    for (int i = 0; i < 2000; ++i) contents += static_cast<char>(i * 7 % 256);
    const std::vector<std::uint8_t> payload(contents.begin() + 12, contents.end());

    const auto padded = folder / "padded.gz";
    write_raw(padded, gzip_of(contents) + std::string(512, '\0'));
    IdxArray read;
    const std::string warning = stderr_of([&] { read = read_idx(padded); });
    CHECK(read.bytes == payload);
    CHECK(warning == "warning: " + padded.string() + ": 512 zero bytes after the gzip stream ignored (tar padding)\n");
    record_bad_input("IDX", ".gz with 512 zero bytes after it (tar padding): read, with a warning",
                     without_folder(warning.substr(0, warning.find('\n')), folder.path().string()));

    // RFC 1952 2.2: a gzip file is a series of members; zlib's gzread read them all, and so does the reader.
    const auto members = folder / "members.gz";
    write_raw(members, gzip_of(contents.substr(0, 700)) + gzip_of(contents.substr(700, 600)) + gzip_of(contents.substr(1300)));
    const std::string nothing = stderr_of([&] { read = read_idx(members); });
    CHECK(read.bytes == payload);
    CHECK(nothing.empty());
}

TEST_CASE("IDX files: an unreadable file (permissions) names the reason") {
    if (::geteuid() == 0) {
        MESSAGE("running as root, which reads any file whatever its permissions: case not applicable");
        return;
    }
    check_rows("IDX", {{"unreadable (no read permission)",
                        [](const std::filesystem::path& f) {
                            write_raw(f / "locked", u8_idx({3}));
                            std::filesystem::permissions(f / "locked", std::filesystem::perms::none);
                            return f / "locked";
                        },
                        "cannot open for reading: Permission denied"}},
               [](const std::filesystem::path& path) { read_idx(path); });
}

TEST_CASE("MNIST folders: images and labels must agree") {
    const std::string images = u8_idx({5, 28, 28});
    const std::vector<BadInputRow> rows = {
        {"label count != image count", mnist_folder(images, labels_idx(4)), "holds 4 labels but "},
        {"a label above 9", mnist_folder(images, labels_idx(5, 2, 12)), "offset 10: label 2 is 12; labels must be 0 to 9"},
        {"images of 2 dimensions", mnist_folder(u8_idx({5, 784}), labels_idx(5)),
         "offset 3: 2 dimensions; images need 3 [count, rows, columns]"},
        {"labels of 2 dimensions", mnist_folder(images, u8_idx({5, 1}, '\x01')), "offset 3: 2 dimensions; labels need 1 [count]"},
        {"no images file", mnist_folder("", labels_idx(5)),
         "no train images file; tried train-images-idx3-ubyte, train-images-idx3-ubyte.gz, train-images.idx3-ubyte, "
         "train-images.idx3-ubyte.gz"},
        {"a file instead of the folder", raw("x", "mnist"), "is not a folder"},
        {"the folder a symbolic link loop",
         [](const std::filesystem::path& f) {
             std::filesystem::create_symlink(f / "mnist", f / "mnist");
             return f / "mnist";
         },
         "mnist: cannot open the folder: Too many levels of symbolic links"},
        {"the images file a symbolic link loop",
         [](const std::filesystem::path& f) {
             const std::filesystem::path folder = mnist_folder("", labels_idx(5))(f);
             std::filesystem::create_symlink(folder / "train-images-idx3-ubyte", folder / "train-images-idx3-ubyte");
             return folder;
         },
         "mnist/train-images-idx3-ubyte: cannot open for reading: Too many levels of symbolic links"},
        {"the images file a symbolic link to nothing",
         [](const std::filesystem::path& f) {
             const std::filesystem::path folder = mnist_folder("", labels_idx(5))(f);
             std::filesystem::create_symlink(f / "moved-away", folder / "train-images-idx3-ubyte");
             return folder;
         },
         "mnist/train-images-idx3-ubyte: cannot open for reading: No such file or directory (a symbolic link to "},
    };
    check_rows("MNIST folder", rows, [](const std::filesystem::path& folder) { read_mnist_split(folder, "train"); });
}

// A valid code file of 3 codes of 4 numbers at 8 bits, with `change` applied to its bytes; the
// checksum is then computed again when `fix_checksum`, so that the field itself is what is refused.
std::string code_file(const std::function<void(std::string&)>& change = {}, bool fix_checksum = true) {
    TemporaryFolder scratch;
    QuantizedCodes codes = quantize_codes(filled({3, 4}, 0.5f), 8);
    codes.image_rows = 28;
    codes.image_columns = 28;
    write_code_file(scratch / "c", codes);
    std::string bytes = read_raw(scratch / "c");
    if (change) change(bytes);
    if (fix_checksum && bytes.size() >= 4) {
        const auto crc = static_cast<std::uint32_t>(
            crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size() - 4)));
        std::memcpy(bytes.data() + bytes.size() - 4, &crc, 4);
    }
    return bytes;
}

void put_u32(std::string& bytes, std::size_t offset, std::uint32_t value) { std::memcpy(bytes.data() + offset, &value, 4); }

TEST_CASE("code files (ae_mnist decompress): each bad file is refused with the field or offset and the reason") {
    const std::vector<BadInputRow> rows = {
        {"empty file", raw(""), "not a code file: 0 bytes, shorter than the 44 of an empty one"},
        {"a PNG", raw("\x89PNG\r\n\x1a\n" + std::string(60, '\0')), "offset 0: not a code file (no SNCODES magic)"},
        {"a newer version", raw(code_file([](std::string& b) { put_u32(b, 8, 2); })),
         "offset 8: code file version 2, this program reads version 1"},
        {"code size 0", raw(code_file([](std::string& b) { put_u32(b, 12, 0); })), "offset 12: code size 0 outside 1-65536"},
        {"17 bits per number", raw(code_file([](std::string& b) { put_u32(b, 16, 17); })),
         "offset 16: 17 bits per number, outside 1-16"},
        {"images of 0 rows", raw(code_file([](std::string& b) { put_u32(b, 20, 0); })), "offset 20: image size 0x28 outside 1-65535"},
        {"2^40 images claimed", raw(code_file([](std::string& b) { put_u32(b, 32, 256); })),
         "offset 28: 1099511627779 images, more than 2^32"},
        {"cut short", raw(code_file([](std::string& b) { b.resize(b.size() - 5); }, false)),
         "holds 83 bytes, but its header (3 codes of 4 numbers, 8 bits each) needs 88"},
        {"bytes after the end", raw(code_file([](std::string& b) { b += "xy"; }, false)),
         "holds 90 bytes, but its header (3 codes of 4 numbers, 8 bits each) needs 88"},
        {"a flipped bit in the payload", raw(code_file([](std::string& b) { b[80] ^= 4; }, false)),
         "offset 84: checksum mismatch: the file is corrupt"},
        {"a NaN scale", raw(code_file([](std::string& b) { put_u32(b, 56, 0x7FC00000u); })),
         "offset 40: code unit 0 has offset 0.500000 and scale nan (must be finite, the scale not negative)"},
        {"missing file", [](const std::filesystem::path& f) { return f / "nowhere.codes"; },
         "cannot open for reading: No such file or directory"},
        {"a folder instead of a file", [](const std::filesystem::path& f) { return f; }, "is a folder, not a file"},
    };
    check_rows("code files", rows, [](const std::filesystem::path& path) { read_code_file(path); });
}

TEST_CASE("weight files: each bad safetensors file is refused with the field or offset and the reason") {
    const std::string kernel = entry("0.kernel", "[3,2]", 0, 24), bias = entry("0.bias", "[2]", 24, 32);
    const std::string good = saved_weights({{"0.kernel", filled({3, 2}, 1)}, {"0.bias", filled({2}, 1)}});
    const std::vector<BadInputRow> rows = {
        {"empty file", raw(""), "offset 0: the file is 0 bytes, too short for the 8-byte header length"},
        {"shorter than the header length", raw("abc"), "offset 0: the file is 3 bytes, too short for the 8-byte header length"},
        {"header length beyond the file", raw(le64(1000) + "{}"), "offset 0: header length 1000 runs past the end of the 10-byte file"},
        {"header length beyond the limit", raw(le64(std::uint64_t{1} << 62) + "{}"),
         "offset 0: header length 4611686018427387904 exceeds the limit of 100000000 bytes"},
        {"header not a JSON object", raw(safetensors("[1, 2]", 0)), "offset 8: the JSON header does not start with '{'"},
        {"malformed JSON", raw(safetensors("{\"0.kernel\": {\"dtype\": \"F32\",, }", 0)),
         "offset 37: malformed JSON header: [json.exception.parse_error.101] parse error at line 1, column 30: syntax error while parsing object key"},
        {"unknown dtype", raw(safetensors("{" + entry("0.kernel", "[3,2]", 0, 24, "Q7") + "}", 24)),
         "tensor \"0.kernel\": unknown dtype \"Q7\""},
        {"a dtype smallnet does not read", raw(safetensors("{" + entry("0.kernel", "[3,2]", 0, 12, "F16") + "}", 12)),
         "tensor \"0.kernel\": dtype F16 is not supported; smallnet reads F32 only"},
        {"a negative shape entry", raw(safetensors("{" + entry("0.kernel", "[-3,2]", 0, 24) + "}", 24)),
         "tensor \"0.kernel\": shape entry 0 is -3; expected a non-negative integer"},
        {"shape too large to count", raw(safetensors("{" + entry("0.kernel", "[4611686018427387904,8]", 0, 24) + "}", 24)),
         "tensor \"0.kernel\": shape [4611686018427387904,8] holds more bytes than 2^64"},
        {"no data_offsets", raw(safetensors("{\"0.kernel\":{\"dtype\":\"F32\",\"shape\":[3,2]}}", 24)),
         "tensor \"0.kernel\": no \"data_offsets\" field"},
        {"data_offsets disagree with the shape", raw(safetensors("{" + entry("0.kernel", "[3,2]", 0, 20) + "}", 20)),
         "tensor \"0.kernel\": data_offsets [0, 20] hold 20 bytes but F32 shape [3, 2] needs 24"},
        {"data_offsets end before they begin", raw(safetensors("{" + entry("0.kernel", "[3,2]", 24, 0) + "}", 24)),
         "tensor \"0.kernel\": data_offsets [24, 0] end before they begin"},
        {"data_offsets out of range", raw(safetensors("{" + kernel + "," + bias + "}", 28)),
         "tensor \"0.bias\": data_offsets [24, 32] run past the end of the 28-byte data buffer"},
        {"file cut inside the data", raw(good.substr(0, good.size() - 4)),
         "tensor \"0.bias\": data_offsets [24, 32] run past the end of the 28-byte data buffer"},
        {"overlapping tensors", raw(safetensors("{" + kernel + "," + entry("0.bias", "[2]", 16, 24) + "}", 24)),
         "tensors \"0.kernel\" and \"0.bias\" overlap: data_offsets [0, 24] and [16, 24]"},
        {"a gap in the data", raw(safetensors("{" + kernel + "," + entry("0.bias", "[2]", 32, 40) + "}", 40)),
         "a gap of 8 bytes in the data buffer before tensor \"0.bias\" (data_offsets [32, 40])"},
        {"data left after the last tensor", raw(safetensors("{" + kernel + "," + bias + "}", 40)),
         "8 bytes after the end of the last tensor's data"},
        {"duplicate tensor name", raw(safetensors("{" + kernel + "," + kernel + "}", 24)), "duplicate tensor name \"0.kernel\""},
        {"metadata value not a string", raw(safetensors("{\"__metadata__\":{\"epoch\":3}," + kernel + "," + bias + "}", 32)),
         "__metadata__: the value of \"epoch\" is 3, not a string"},
        {"a tensor missing", raw(saved_weights({{"0.kernel", filled({3, 2}, 1)}})), "missing tensor '0.bias' [2]"},
        {"an extra tensor",
         raw(saved_weights({{"0.kernel", filled({3, 2}, 1)}, {"0.bias", filled({2}, 1)}, {"1.kernel", filled({2, 2}, 1)}})),
         "unexpected tensor '1.kernel' [2, 2]"},
        {"a shape that does not fit the model", raw(saved_weights({{"0.kernel", filled({2, 3}, 1)}, {"0.bias", filled({2}, 1)}})),
         "tensor '0.kernel' has shape [2, 3], the model needs [3, 2]"},
        {"a NaN in a kernel", raw(saved_weights({{"0.kernel", with_value(filled({3, 2}, 1), 3, not_a_number)}, {"0.bias", filled({2}, 1)}})),
         "tensor '0.kernel' holds NaN at element 3 (index [1, 1] of shape [3, 2])"},
        {"infinity in a bias", raw(saved_weights({{"0.kernel", filled({3, 2}, 1)}, {"0.bias", with_value(filled({2}, 1), 1, infinity)}})),
         "tensor '0.bias' holds infinity at element 1 (index [1] of shape [2])"},
        {"-infinity, then NaN, in a kernel",
         raw(saved_weights({{"0.kernel", with_value(with_value(filled({3, 2}, 1), 5, not_a_number), 2, -infinity)}, {"0.bias", filled({2}, 1)}})),
         "tensor '0.kernel' holds -infinity at element 2 (index [1, 0] of shape [3, 2])"},
        {"missing file", [](const std::filesystem::path& f) { return f / "nowhere.safetensors"; },
         "cannot open for reading: No such file or directory"},
        {"a folder instead of a file", [](const std::filesystem::path& f) { return f; }, "is a folder, not a file"},
    };
    check_rows("weights", rows, [](const std::filesystem::path& path) {
        Sequential model = small_model();
        const Tensor before = model.weights().clone();
        try {
            model.load_weights(path);
        } catch (...) {
            // A refused file leaves the model as it was.
            CHECK(bitwise_equal(model.weights(), before));
            throw;
        }
    });
}

TEST_CASE("flags of ae_mnist and ae2d: a non-zero exit and a clear message, before any training") {
    const auto scratch = scratch_folder("bad_flags");
    write_tiny_mnist(scratch / "data");
    std::ofstream(scratch / "file") << "x";
    std::ofstream(scratch / "garbage.safetensors") << "garbage";
    std::filesystem::create_symlink(scratch / "loop", scratch / "loop");
    save_ae_mnist_weights(scratch / "nan.safetensors", 0, 3, not_a_number);
    save_ae_mnist_weights(scratch / "infinity.safetensors", 1, 5, infinity);
    std::vector<BadFlagsRow> rows = {
        {"epochs 0", "ae_mnist", "--epochs 0", 2, "--epochs: Value 0 not in range 1 to 100000"},
        {"epochs negative", "ae_mnist", "--epochs -3", 2, "--epochs: -3 is negative; expected a whole number from 1 to 100000"},
        {"epochs not a number", "ae_mnist", "--epochs ten", 2, "--epochs: ten is not a whole number in decimal digits; expected a whole number from 1 to 100000"},
        {"batch size 0", "ae_mnist", "--batch-size 0", 2, "--batch-size: Value 0 not in range 1 to 1000000"},
        {"batch size negative", "ae_mnist", "--batch-size -8", 2, "--batch-size: -8 is negative; expected a whole number from 1 to 1000000"},
        {"batch size larger than the data", "ae_mnist", "--data {data} --batch-size 61 --out {scratch}/out", 2,
         "ae_mnist: error: --batch-size 61 is larger than the 60 training images; use at most 60"},
        {"batch size larger than the data (anomaly: class 1 held out)", "ae_mnist",
         "anomaly --data {data} --batch-size 60 --out {scratch}/out", 2,
         "ae_mnist: error: --batch-size 60 is larger than the 54 training images; use at most 54"},
        {"bottleneck 0", "ae_mnist", "--bottleneck 0", 2, "--bottleneck: Value 0 not in range 1 to 4096"},
        {"unknown loss", "ae_mnist", "--loss hinge", 2, "--loss: hinge not in {mse,bce}"},
        {"unknown subcommand", "ae_mnist", "frobnicate", 2,
         "ae_mnist: unknown subcommand 'frobnicate'; the subcommands are conv, denoise, anomaly, vae, sparse, classify, pretrain, compress, decompress and encode (none: train)"},
        {"unknown flag", "ae_mnist", "--frobnicate", 2, "The following argument was not expected: --frobnicate"},
        {"threads negative", "ae_mnist", "--threads -1", 2, "--threads: -1 is negative; expected a whole number from 0 to 1024"},
        {"output folder under a file", "ae_mnist", "--data {data} --out {scratch}/file/out", 1,
         "ae_mnist: error: {scratch}/file/out: cannot create the output folder: Not a directory"},
        {"output folder that cannot be created", "ae_mnist", "--data {data} --out /proc/smallnet-out", 1,
         "ae_mnist: error: /proc/smallnet-out: cannot create the output folder: No such file or directory"},
        {"checkpoint folder under a file", "ae_mnist", "--data {data} --checkpoint {scratch}/file/c.safetensors --out {scratch}/out", 1,
         "ae_mnist: error: {scratch}/file: cannot create the output folder: Not a directory"},
        {"resume: file missing", "ae_mnist", "--resume {scratch}/nowhere.safetensors", 2,
         "--resume: File does not exist: {scratch}/nowhere.safetensors"},
        {"resume: not a safetensors file", "ae_mnist", "--data {data} --resume {scratch}/garbage.safetensors --out {scratch}/out", 1,
         "ae_mnist: error: {scratch}/garbage.safetensors: offset 0: the file is 7 bytes, too short for the 8-byte header length"},
        {"resume: a weights file, not a whole model", "ae_mnist", "--data {data} --resume {scratch}/nan.safetensors --out {scratch}/out", 1,
         "ae_mnist: error: {scratch}/nan.safetensors: not a whole-model file: its metadata has no 'smallnet_model' (a weights "
         "file? load it with build and load_weights)"},
        {"data folder missing", "ae_mnist", "--data {scratch}/nowhere --out {scratch}/out", 1,
         "ae_mnist: error: {scratch}/nowhere: no such folder"},
        {"data folder a symbolic link loop", "ae_mnist", "--data {scratch}/loop --out {scratch}/out", 1,
         "ae_mnist: error: {scratch}/loop: cannot open the folder: Too many levels of symbolic links"},
        {"encode: weights not a weight file", "ae_mnist", "encode --data {data} --weights {scratch}/garbage.safetensors --out {scratch}/out", 1,
         "ae_mnist: error: {scratch}/garbage.safetensors: offset 0: the file is 7 bytes, too short for the 8-byte header length"},
        {"encode: weights holding NaN", "ae_mnist", "encode --data {data} --weights {scratch}/nan.safetensors --out {scratch}/out", 1,
         "ae_mnist: error: load_weights: {scratch}/nan.safetensors: tensor 'encoder.0.kernel' holds NaN at element 3 (index [0, 3] of shape [784, 8])"},
        {"encode: weights holding infinity", "ae_mnist", "encode --data {data} --weights {scratch}/infinity.safetensors --out {scratch}/out", 1,
         "ae_mnist: error: load_weights: {scratch}/infinity.safetensors: tensor 'encoder.0.bias' holds infinity at element 5 (index [5] of shape [8])"},
        {"conv: epochs 0", "ae_mnist", "conv --epochs 0", 2, "--epochs: Value 0 not in range 1 to 100000"},
        {"conv: batch size larger than the data", "ae_mnist", "conv --data {data} --batch-size 61 --out {scratch}/out", 2,
         "ae_mnist: error: --batch-size 61 is larger than the 60 training images; use at most 60"},
        {"conv: a code size for a model whose code is fixed", "ae_mnist", "conv --bottleneck 16", 2,
         "The following arguments were not expected: 16 --bottleneck"},
        {"conv: a code size given before the subcommand", "ae_mnist", "--bottleneck 16 conv", 2,
         "ae_mnist: --bottleneck does not apply to the conv models: their code size is fixed by their layers"},
        {"conv: limit negative", "ae_mnist", "conv --limit -5", 2, "--limit: -5 is negative; expected a whole number from 0 to 1099511627776"},
        {"conv: threads negative", "ae_mnist", "conv --threads -1", 2, "--threads: -1 is negative; expected a whole number from 0 to 1024"},
        {"conv: checkpoint folder under a file", "ae_mnist",
         "conv --data {data} --checkpoint {scratch}/file/c.safetensors --out {scratch}/out", 1,
         "ae_mnist: error: {scratch}/file: cannot create the output folder: Not a directory"},
        {"denoise: unknown model", "ae_mnist", "denoise --model resnet", 2, "--model: resnet not in {dense,conv}"},
        {"denoise --model conv: a code size", "ae_mnist", "denoise --model conv --bottleneck 8", 2,
         "ae_mnist: --bottleneck does not apply to the conv models"},
        {"vae: latent 1", "ae_mnist", "vae --latent 1", 2, "--latent: Value 1 not in range 2 to 1024"},
        {"vae: hidden 0", "ae_mnist", "vae --hidden 0", 2, "--hidden: Value 0 not in range 1 to 65536"},
        {"vae: beta negative", "ae_mnist", "vae --beta -1", 2, "--beta: Value -1 not in range 0 to 1000"},
        {"vae: a loss for a model whose loss is fixed", "ae_mnist", "--loss mse vae", 2,
         "ae_mnist: vae takes --latent for its code and has a fixed loss"},
        {"vae: batch size larger than the data", "ae_mnist", "vae --data {data} --batch-size 61 --out {scratch}/out", 2,
         "ae_mnist: error: --batch-size 61 is larger than the 60 training images; use at most 60"},
        {"sparse: l1 negative", "ae_mnist", "sparse --l1 -0.1", 2, "--l1: Value -0.1 not in range 0 to 100"},
        {"sparse: l1 not a number", "ae_mnist", "sparse --l1 lots", 2, "--l1: lots is not a number; expected a number from 0 to 100"},
        {"epochs 0", "ae2d", "--epochs 0", 2, "--epochs: Value 0 not in range 1 to 100000"},
        {"epochs negative", "ae2d", "--epochs -3", 2, "--epochs: -3 is negative; expected a whole number from 1 to 100000"},
        {"batch size 0", "ae2d", "--batch-size 0", 2, "--batch-size: Value 0 not in range 1 to 10000000"},
        {"batch size negative", "ae2d", "--batch-size -1", 2, "--batch-size: -1 is negative; expected a whole number from 1 to 10000000"},
        {"batch size larger than the data", "ae2d", "--points 100 --batch-size 101 --out {scratch}/out", 2,
         "ae2d: error: --batch-size 101 is larger than the 100 points; use at most 100"},
        {"too few points", "ae2d", "--points 5", 2, "--points: Value 5 not in range 10 to 10000000"},
        {"unknown argument (ae2d has no subcommands)", "ae2d", "frobnicate", 2, "The following argument was not expected: frobnicate"},
        {"output folder under a file", "ae2d", "--out {scratch}/file/out", 1,
         "ae2d: error: {scratch}/file/out: cannot create the output folder: Not a directory"},
    };
    // A folder that exists but takes no files: /sys/kernel refuses even root; a read-only folder anyone else.
    if (std::filesystem::is_directory("/sys/kernel"))
        for (const char* program : {"ae_mnist", "ae2d"})
            rows.push_back({"output folder not writable (/sys/kernel)", program, "--data {data} --out /sys/kernel", 1,
                            // The reason depends on how /sys is mounted (Permission denied, Read-only file system).
                            std::string(program) + ": error: /sys/kernel: cannot write into the output folder: "});
    if (::geteuid() != 0) {
        std::filesystem::create_directories(scratch / "read-only");
        std::filesystem::permissions(scratch / "read-only", std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
        rows.push_back({"output folder not writable (read-only)", "ae_mnist", "--data {data} --out {scratch}/read-only", 1,
                        "ae_mnist: error: {scratch}/read-only: cannot write into the output folder: Permission denied"});
    }
    for (BadFlagsRow& row : rows) {
        if (row.program == "ae2d") row.arguments = substituted(row.arguments, "--data {data} ", "");
        const std::string arguments = substituted(substituted(row.arguments, "{data}", (scratch / "data").string()),
                                                  "{scratch}", scratch.string());
        const std::string expected = substituted(row.expected, "{scratch}", scratch.string());
        CAPTURE(row.program);
        CAPTURE(arguments);
        const AppRun run = row.program == "ae2d" ? run_app(app_path("AE2D", "ae2d"), arguments, scratch)
                                                 : run_app(app_path("AE_MNIST", "ae_mnist"), arguments, scratch);
        CAPTURE(run.err);
        CHECK(run.exit_code == row.exit_code);
        CHECK(run.err.find(expected) != std::string::npos);
        CHECK(run.out.find("Epoch ") == std::string::npos);  // refused before training started
        std::string first_line = run.err.substr(0, run.err.find('\n'));
        record_bad_input(row.program + " flags", "`" + substituted(substituted(row.arguments, "{data}", "<data>"), "{scratch}", "<dir>") + "` (" + row.name +
                                                      "), exit " + std::to_string(run.exit_code),
                         without_folder(first_line, scratch.string()));
    }
    std::filesystem::permissions(scratch, std::filesystem::perms::all);
    std::filesystem::remove_all(scratch);
}

TEST_CASE("training: a NaN or infinity stops fit naming epoch and step; the last good checkpoint stays intact") {
    const std::vector<BadTrainingRow> rows = {
        {"NaN in the data from epoch 2", 1, 1, [](Tensor& x, Sequential&) { x.at({13, 2}) = std::numeric_limits<float>::quiet_NaN(); },
         "fit: the loss became NaN at epoch 2, step 3 of 4; training stopped before this step's update"},
        {"a value so large its square overflows, from epoch 3", 2, 2, [](Tensor& x, Sequential&) { x.at({6, 0}) = 1e30f; },
         "fit: the loss became infinite at epoch 3, step 2 of 4; training stopped before this step's update"},
        {"weights overflowed by the last update of epoch 2", 2, 1,
         [](Tensor&, Sequential& model) { model.weights().data()[5] = std::numeric_limits<float>::infinity(); },
         "ModelCheckpoint: after epoch 2 weight 'encoder.0.kernel' holds infinity at element 5; training stopped and "
         "{checkpoint} keeps the last good weights"},
    };
    for (const BadTrainingRow& row : rows) {
        CAPTURE(row.name);
        TemporaryFolder folder;
        const auto checkpoint = folder / "checkpoint.safetensors";
        Tensor x = line_data();
        Sequential model = line_autoencoder();
        model.compile(Adam(), "mse");
        std::vector<Tensor> weights_by_epoch;
        const auto damage = [&](const EpochLogs& logs) {
            if (logs.epoch == row.after_epoch) row.damage(x, model);
        };
        const auto remember = [&](const EpochLogs&) { weights_by_epoch.push_back(model.weights().clone()); };
        const std::string message = error_message_of([&] {
            model.fit(x, x, {.epochs = 10, .batch_size = 5, .shuffle = false,
                             .callbacks = {EpochHook(damage), ModelCheckpoint(checkpoint), EpochHook(remember)},
                             .verbose = 0});
        });
        CHECK(message == substituted(row.expected, "{checkpoint}", checkpoint.string()));
        record_bad_input("training", row.name, without_folder(message, folder.path().string()));

        // The checkpoint holds the weights of the last epoch that ended well, and loads.
        REQUIRE(weights_by_epoch.size() == static_cast<std::size_t>(row.last_good_epoch));
        Sequential restored = line_autoencoder();
        restored.build(4);
        restored.load_weights(checkpoint);
        CHECK(bitwise_equal(restored.weights(), weights_by_epoch.back()));
        CHECK(folder.names() == std::vector<std::string>{"checkpoint.safetensors"});
    }
}

}
