#pragma once
// Running the built apps from the tests: where they are (meson passes their paths in AE2D and
// AE_MNIST; otherwise next to the test program's build folder), and what a run printed and returned.

#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace smallnet::testing {

inline std::filesystem::path app_path(const char* environment_variable, const char* name) {
    if (const char* from_env = std::getenv(environment_variable); from_env && *from_env) return from_env;
    // <build>/tests/unit_tests -> <build>/apps/<name>
    const auto self = std::filesystem::read_symlink("/proc/self/exe");
    return self.parent_path().parent_path() / "apps" / name;
}

struct AppRun {
    int exit_code = -1;
    std::string out, err;
};

// A CSV's lines without their last field (history.csv's seconds, which differ from run to run).
inline std::string without_last_column(const std::string& csv) {
    std::string kept;
    std::size_t at = 0;
    while (at < csv.size()) {
        std::size_t end = csv.find('\n', at);
        if (end == std::string::npos) end = csv.size();
        const std::string line = csv.substr(at, end - at);
        kept += line.substr(0, line.rfind(',')) + "\n";
        at = end + 1;
    }
    return kept;
}

inline std::string read_text(const std::filesystem::path& path) {
    std::ifstream file(path);
    std::ostringstream s;
    s << file.rdbuf();
    return s.str();
}

inline std::string quoted(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// Runs `program arguments` (arguments already shell-quoted where needed) with stdin closed, and
// `environment` (name, value) added to its environment.
inline AppRun run_app(const std::filesystem::path& program, const std::string& arguments,
                      const std::filesystem::path& scratch,
                      const std::vector<std::pair<std::string, std::string>>& environment = {}) {
    REQUIRE_MESSAGE(std::filesystem::exists(program), "the app is not built: " << program);
    const auto out = scratch / "stdout.txt", err = scratch / "stderr.txt";
    std::string command;
    for (const auto& [name, value] : environment) command += name + "=" + quoted(value) + " ";
    command += quoted(program.string()) + " " + arguments + " </dev/null >" + quoted(out.string()) + " 2>" +
               quoted(err.string());
    const int status = std::system(command.c_str());
    AppRun run;
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.out = read_text(out);
    run.err = read_text(err);
    return run;
}

inline std::filesystem::path scratch_folder(const std::string& name) {
    const auto folder = std::filesystem::temp_directory_path() / ("smallnet_" + name + "_" + std::to_string(getpid()));
    std::filesystem::remove_all(folder);
    std::filesystem::create_directories(folder);
    return folder;
}

// The number of lines of a text file (a final line without '\n' counts).
inline int count_lines(const std::string& text) {
    int lines = 0;
    for (char c : text) lines += c == '\n';
    return lines + (!text.empty() && text.back() != '\n');
}

}  // namespace smallnet::testing
