// A full disk at every point of a run's output: each app runs with its output folder's space limited
// (an LD_PRELOAD shim, enospc_shim.cpp, fails the writes under it with ENOSPC after N bytes: no root
// or tmpfs needed, and it catches any library's own writes), from 100 KB to the full output size in
// 64 KB steps, into a folder holding the previous run's set. After each run every file in the folder
// is the previous run's or a complete, loadable new one, and no temporary file or folder remains.
#include <zlib.h>

#include <cstdlib>
#include <map>

#include "nn/io/npy.hpp"
#include "nn/io/safetensors.hpp"
#include "tests/apps/run_app.hpp"
#include "tests/nn/io_support.hpp"
#include "tests/reliability/tiny_mnist.hpp"
#include "tests/support.hpp"

using namespace smallnet;
using namespace smallnet::testing;

namespace {

using Files = std::map<std::string, std::string>;  // name -> bytes

Files files_in(const std::filesystem::path& folder) {
    Files files;
    if (!std::filesystem::exists(folder)) return files;
    for (const auto& entry : std::filesystem::directory_iterator(folder)) {
        INFO(entry.path().string());
        CHECK(entry.is_regular_file());  // no staging folder left
        if (entry.is_regular_file()) files[entry.path().filename().string()] = read_raw(entry.path());
    }
    return files;
}

std::uint32_t big_endian(const std::string& bytes, std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<std::uint8_t>(bytes[at + i]);
    return v;
}

// The whole PNG: the signature, then chunks with good CRCs up to IEND, which ends the file.
std::string png_problem(const std::string& bytes) {
    if (bytes.size() < 8 || bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) return "no PNG signature";
    std::size_t at = 8;
    while (at + 12 <= bytes.size()) {
        const std::uint32_t length = big_endian(bytes, at);
        if (at + 12 + length > bytes.size()) return "a chunk is cut at " + std::to_string(at);
        const auto* type = reinterpret_cast<const Bytef*>(bytes.data() + at + 4);
        if (crc32(0, type, 4 + length) != big_endian(bytes, at + 8 + length)) return "bad CRC at " + std::to_string(at);
        const std::string name = bytes.substr(at + 4, 4);
        at += 12 + length;
        if (name == "IEND") return at == bytes.size() ? "" : "bytes after IEND";
    }
    return "no IEND chunk";
}

// Whether a new file is whole: loaded by our readers, or checked to the end.
void check_complete(const std::filesystem::path& path, const std::string& bytes) {
    INFO(path.string());
    const std::string extension = path.extension().string();
    if (extension == ".png") {
        CHECK(png_problem(bytes) == "");
    } else if (extension == ".safetensors") {
        CHECK_NOTHROW(load_safetensors(path));
    } else if (extension == ".npy") {
        CHECK_NOTHROW(load_npy(path));
    } else if (extension == ".csv") {
        REQUIRE(!bytes.empty());
        CHECK(bytes.back() == '\n');
        const auto commas = std::count(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(bytes.find('\n')), ',');
        std::size_t start = 0;
        for (std::size_t end = bytes.find('\n'); end != std::string::npos; start = end + 1, end = bytes.find('\n', start))
            CHECK(std::count(bytes.begin() + static_cast<std::ptrdiff_t>(start), bytes.begin() + static_cast<std::ptrdiff_t>(end), ',') == commas);
    } else {
        FAIL("an output of a kind the test does not know: " << path);
    }
}

// meson passes the shim's path; run by hand, it is beside this test program.
std::filesystem::path shim_path() {
    if (const char* path = std::getenv("ENOSPC_SHIM"); path && *path) return path;
    const auto beside = std::filesystem::read_symlink("/proc/self/exe").parent_path() / "libenospc_shim.so";
    REQUIRE_MESSAGE(std::filesystem::exists(beside), "the shim is not built: " << beside);
    return beside;
}

std::vector<std::pair<std::string, std::string>> disk_of(const std::filesystem::path& folder, std::uint64_t bytes) {
    std::string asan = std::getenv("ASAN_OPTIONS") ? std::getenv("ASAN_OPTIONS") : "";
    return {{"LD_PRELOAD", shim_path().string()},
            {"SMALLNET_ENOSPC_UNDER", std::filesystem::absolute(folder).string()},
            {"SMALLNET_ENOSPC_AFTER", std::to_string(bytes)},
            {"ASAN_OPTIONS", asan + (asan.empty() ? "" : ":") + "verify_asan_link_order=0"}};
}

// `arguments` with {out} and {seed} filled in.
std::string filled_in(std::string arguments, const std::filesystem::path& out, int seed) {
    arguments.replace(arguments.find("{out}"), 5, quoted(out.string()));
    arguments.replace(arguments.find("{seed}"), 6, std::to_string(seed));
    return arguments;
}

// Runs `arguments` (with {out} and {seed}) into a folder holding the previous run's set, at every
// budget from 100 KB up in 64 KB steps, and once with room.
void check_full_disk(const std::filesystem::path& program, const std::string& arguments, const std::string& name) {
    const auto scratch = scratch_folder("full_disk_" + name);
    const auto with = [&](const std::filesystem::path& out, int seed) { return filled_in(arguments, out, seed); };
    // The previous run's set.
    const auto previous_folder = scratch / "previous";
    const AppRun first = run_app(program, with(previous_folder, 1), scratch);
    REQUIRE_MESSAGE(first.exit_code == 0, first.err);
    const Files previous = files_in(previous_folder);
    std::uint64_t total = 0;
    for (const auto& [file, bytes] : previous) total += bytes.size();
    // SMALLNET_FULL_DISK_STEP: coarser steps for the sanitizer build.
    const char* step_text = std::getenv("SMALLNET_FULL_DISK_STEP");
    const std::uint64_t step = step_text && *step_text ? std::strtoull(step_text, nullptr, 10) : 64'000;
    MESSAGE(name << ": " << previous.size() << " files, " << total << " bytes; budgets from 100 KB in steps of " << step << " bytes");

    int failures = 0;
    for (std::uint64_t budget = 100'000;; budget += step) {
        const bool room = budget >= total + step;  // the last run has room for everything
        CAPTURE(budget);
        for (const bool into_previous : {true, false}) {
            CAPTURE(into_previous);
            const auto out = scratch / "out";
            std::filesystem::remove_all(out);
            if (into_previous) std::filesystem::copy(previous_folder, out);
            const AppRun run = run_app(program, with(out, 2), scratch, disk_of(out, budget));
            CAPTURE(run.err);
            const Files after = files_in(out);
            if (run.exit_code == 0) {
                CHECK(after.size() == previous.size());
                for (const auto& [file, bytes] : after) check_complete(out / file, bytes);
            } else {
                ++failures;
                CHECK(run.exit_code == 1);
                CHECK(run.err.find("No space left on device") != std::string::npos);
                // Every file is the previous run's or a whole new one; none is missing.
                if (into_previous) CHECK(after.size() == previous.size());
                for (const auto& [file, bytes] : after) {
                    const auto old = previous.find(file);
                    if (old == previous.end() || old->second != bytes) check_complete(out / file, bytes);
                }
                if (into_previous) CHECK(run.err.find("its files from before are unchanged") != std::string::npos);
                else CHECK_FALSE(std::filesystem::exists(out));  // nothing written: no empty folder
            }
        }
        if (room) break;
    }
    CHECK(failures > 0);
    std::filesystem::remove_all(scratch);
}

// The same on a real small file system, where the machine lets root mount a tmpfs: it also catches
// writes the shim cannot see (a library's stdio writes go to glibc's internal write). Sizes from
// 100 KB to the previous set plus a whole new one, in 16 KB steps.
void check_small_tmpfs(const std::filesystem::path& program, const std::string& arguments, const std::string& name) {
    const auto scratch = scratch_folder("tmpfs_" + name);
    const auto disk = scratch / "disk";
    std::filesystem::create_directories(disk);
    const std::string mount_point = quoted(disk.string());
    if (::geteuid() != 0 || std::system(("mount -t tmpfs -o size=64k tmpfs " + mount_point + " 2>/dev/null").c_str()) != 0) {
        MESSAGE("cannot mount a tmpfs here (not root, or not allowed in this container): the shim's cases stand alone");
        std::filesystem::remove_all(scratch);
        return;
    }
    REQUIRE(std::system(("umount " + mount_point).c_str()) == 0);
    const auto with = [&](const std::filesystem::path& out, int seed) { return filled_in(arguments, out, seed); };
    const auto previous_folder = scratch / "previous";
    REQUIRE(run_app(program, with(previous_folder, 1), scratch).exit_code == 0);
    const Files previous = files_in(previous_folder);
    std::uint64_t total = 0;
    for (const auto& [file, bytes] : previous) total += bytes.size();
    int failures = 0;
    for (std::uint64_t kilobytes = 100; kilobytes * 1000 < 2 * total + 64'000; kilobytes += 16) {
        for (const bool into_previous : {true, false}) {
            CAPTURE(kilobytes);
            CAPTURE(into_previous);
            REQUIRE(std::system(("mount -t tmpfs -o size=" + std::to_string(kilobytes) + "k tmpfs " + mount_point).c_str()) == 0);
            const auto out = disk / "out";
            bool copied = true;
            if (into_previous) {
                std::error_code error;
                std::filesystem::copy(previous_folder, out, error);
                copied = !error;
            }
            if (copied) {
                const AppRun run = run_app(program, with(out, 2), scratch);
                CAPTURE(run.err);
                const Files after = files_in(out);
                failures += run.exit_code != 0;
                if (run.exit_code != 0) CHECK(run.err.find("No space left on device") != std::string::npos);
                if (run.exit_code == 0 || into_previous) CHECK(after.size() == previous.size());
                for (const auto& [file, bytes] : after) {
                    const auto old = previous.find(file);
                    if (old == previous.end() || old->second != bytes) check_complete(out / file, bytes);
                }
            }
            REQUIRE(std::system(("umount " + mount_point).c_str()) == 0);
        }
    }
    CHECK(failures > 0);
    std::filesystem::remove_all(scratch);
}

}  // namespace

TEST_SUITE("reliability.full_disk") {

TEST_CASE("ae2d on a small tmpfs: every PNG, CSV and weight file left is whole") {
    check_small_tmpfs(app_path("AE2D", "ae2d"), "--out {out} --seed {seed} --epochs 5", "ae2d");
}


TEST_CASE("ae2d: a full disk at any point leaves the previous outputs or whole new ones") {
    check_full_disk(app_path("AE2D", "ae2d"), "--out {out} --seed {seed} --epochs 5", "ae2d");
}

TEST_CASE("ae_mnist: a full disk at any point leaves the previous outputs or whole new ones") {
    const auto data = scratch_folder("full_disk_data");
    write_tiny_mnist(data, 60, 20);
    check_full_disk(app_path("AE_MNIST", "ae_mnist"), "--data " + quoted(data.string()) + " --out {out} --seed {seed} --epochs 1",
                    "ae_mnist");
    std::filesystem::remove_all(data);
}

TEST_CASE("ae_mnist vae (four pictures): a full disk at any point leaves the previous outputs or whole new ones") {
    const auto data = scratch_folder("full_disk_data");
    write_tiny_mnist(data, 60, 20);
    check_full_disk(app_path("AE_MNIST", "ae_mnist"),
                    "vae --data " + quoted(data.string()) + " --out {out} --seed {seed} --epochs 1", "ae_mnist_vae");
    std::filesystem::remove_all(data);
}

}
