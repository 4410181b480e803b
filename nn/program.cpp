#include "nn/program.hpp"

#include <cerrno>
#include <exception>
#include <fcntl.h>
#include <string>
#include <system_error>
#include <unistd.h>

#include "nn/collectives.hpp"
#include "nn/distributed.hpp"
#include "nn/interrupt.hpp"
#include "nn/io/file_error.hpp"

namespace smallnet {

namespace {

std::vector<std::string>& error_notes() {
    static std::vector<std::string> notes;
    return notes;
}

void print_notes(std::string_view program) {
    for (const std::string& note : error_notes())
        std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(program.size()), program.data(), note.c_str());
    error_notes().clear();
}

}  // namespace

void add_error_note(std::string note) { error_notes().push_back(std::move(note)); }

int run_program(std::string_view program, const std::function<void()>& body) {
    // Started by mpirun: this process joins the job (nn/distributed.hpp). Only process 0 prints; the
    // others' errors still go to the standard error, named by their process.
    Processes processes;
    if (process_rank() != 0 && std::freopen("/dev/null", "w", stdout) == nullptr)
        std::fprintf(stderr, "%.*s: process %d: cannot silence the standard output\n", static_cast<int>(program.size()),
                     program.data(), process_rank());
    const std::string name = process_count() > 1 && process_rank() != 0
                                 ? std::string(program) + " (process " + std::to_string(process_rank()) + " of " +
                                       std::to_string(process_count()) + ")"
                                 : std::string(program);
    // A process that fails alone ends the whole job: the others would otherwise wait for it forever.
    // When all fail together (fit stops every process at the same step, for a NaN loss or a stop
    // request), each ends normally, after its own clean-up, with its code.
    const auto finish = [&](int code) {
        if (code != 0 && process_count() > 1 && !collectives::all_reach_within(5.0)) end_all_processes(code);
        return code;
    };
    install_interrupt_handlers();
    const int name_length = static_cast<int>(name.size());
    try {
        body();
        if (const int signal = stop_signal(); signal != 0) {
            // The stop came after the last place that checks for one: every output was written.
            std::fflush(stdout);
            std::fprintf(stderr, "%.*s: %s\n", name_length, name.data(),
                         Interrupted(signal, "after training; every output was written").what());
            return finish(exit_code_for_signal(signal));
        }
        return 0;
    } catch (const Interrupted& stop) {
        std::fflush(stdout);
        std::fprintf(stderr, "%.*s: %s\n", name_length, name.data(), stop.what());
        print_notes(name);
        return finish(stop.exit_code());
    } catch (const std::exception& error) {
        std::fflush(stdout);
        std::fprintf(stderr, "%.*s: error: %s\n", name_length, name.data(), error.what());
        print_notes(name);
        if (const int signal = stop_signal(); signal != 0) return finish(exit_code_for_signal(signal));
        return finish(dynamic_cast<const UsageError*>(&error) ? exit_usage_error : exit_runtime_error);
    }
}

void make_output_folder(const std::filesystem::path& folder) {
    std::error_code error;
    std::filesystem::create_directories(folder, error);
    if (error) throw FileError(folder, "cannot create the output folder: " + error.message());
    if (!std::filesystem::is_directory(folder)) throw FileError(folder, "not a folder");
    // A folder that exists but takes no files (permissions, a read-only mount, /sys) would otherwise
    // only fail when the first result is saved, after the whole training run.
    const std::filesystem::path probe = folder / (".smallnet-write-test." + std::to_string(::getpid()));
    int descriptor;
    do {
        descriptor = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    } while (descriptor < 0 && errno == EINTR);
    if (descriptor < 0) throw FileError(folder, "cannot write into the output folder: " + system_error_text(errno));
    ::close(descriptor);
    ::unlink(probe.c_str());
}

std::string human_size(std::uintmax_t bytes) {
    char text[32];
    if (bytes >= 1000 * 1000) std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / 1e6);
    else if (bytes >= 1000) std::snprintf(text, sizeof text, "%.0f KB", static_cast<double>(bytes) / 1e3);
    else std::snprintf(text, sizeof text, "%ju B", bytes);
    return text;
}

void print_written_files(std::FILE* stream, const std::filesystem::path& folder, const std::vector<std::string>& files) {
    std::fprintf(stream, "wrote %s:\n", folder.string().c_str());
    for (const std::string& name : files) {
        std::error_code error;
        const std::uintmax_t size = std::filesystem::file_size(folder / name, error);
        std::fprintf(stream, "  %-22s %s\n", name.c_str(), error ? "(missing)" : human_size(size).c_str());
    }
}

}  // namespace smallnet
