#pragma once
// What the command-line programs share besides the framework: the error convention
// ("<program>: error: <message>" on stderr, exit code 1), the output folder, and the closing list of
// the files a run wrote.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace smallnet {

// Exit codes: 0 success, 1 a run-time error (missing or corrupt data, NaN in training, a file that
// cannot be written), 2 bad command-line arguments (the programs map their parser's errors to it).
inline constexpr int exit_runtime_error = 1;
inline constexpr int exit_usage_error = 2;

// A command-line value that is bad only in the light of the data (a batch larger than the data set):
// found after parsing, but reported like the parser's errors, with exit code 2.
class UsageError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// Runs `body` as a process of its MPI job when mpirun started the program (a Processes,
// nn/distributed.hpp: only process 0 prints to the standard output, and a process that fails ends the
// whole job after printing its error), with the Ctrl-C/SIGTERM handlers of nn/interrupt.hpp installed; an exception becomes
// "<program>: error: <what>" on stderr and exit code 1 (2 for a UsageError), followed by the notes
// added while the stack unwound (which output files were kept). Interrupted becomes
// "<program>: <what>" and exit code 128 + signal; so does a stop asked for after the last check.
int run_program(std::string_view program, const std::function<void()>& body);

// A line run_program prints after the error that ends the program (an OutputFolder's "its files from
// before are unchanged"); for code that runs while an exception unwinds and cannot add to its message.
void add_error_note(std::string note);

// Creates `folder` and its parents when missing and checks that a file can be created in it;
// FileError when that fails or a file is in the way.
void make_output_folder(const std::filesystem::path& folder);

// "1.2 MB", "340 KB", "87 B".
std::string human_size(std::uintmax_t bytes);

// "wrote <folder>:" then one line per file with its size (files given relative to the folder).
void print_written_files(std::FILE* stream, const std::filesystem::path& folder,
                         const std::vector<std::string>& files);

}  // namespace smallnet
