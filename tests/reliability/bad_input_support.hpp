#pragma once
// What the bad-input tables share: a row is one bad input (how to make it, and a fragment of the
// message it must get); the message each row got can be written out as a markdown table for the
// issue's closing note (set SMALLNET_BAD_INPUT_TABLE to a file name; rows are appended).

#include <doctest/doctest.h>

#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

namespace smallnet::testing {

// Makes the bad input inside `folder` and returns the path to feed.
using InputMaker = std::function<std::filesystem::path(const std::filesystem::path& folder)>;

struct BadInputRow {
    std::string name;      // what is wrong, in words
    InputMaker make;       // the input
    std::string expected;  // a fragment of the message: where (offset, field, flag) and why
};

// The message of whatever `action` throws; "no exception" when it throws nothing.
template <class Action>
std::string error_message_of(Action&& action) {
    try {
        action();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "no exception";
}

// `text` with every occurrence of `folder` replaced by "<dir>", so the table does not show a test's
// temporary path.
inline std::string without_folder(std::string text, const std::string& folder) {
    for (std::size_t at = text.find(folder); !folder.empty() && at != std::string::npos; at = text.find(folder, at))
        text.replace(at, folder.size(), "<dir>");
    return text;
}

// One markdown row "| group | case | `message` |" appended to $SMALLNET_BAD_INPUT_TABLE when it is set.
inline void record_bad_input(const std::string& group, const std::string& name, std::string message) {
    const char* table = std::getenv("SMALLNET_BAD_INPUT_TABLE");
    if (!table || !*table) return;
    for (char& c : message)
        if (c == '\n') c = ' ';
    std::string escaped;
    for (char c : message) escaped += c == '|' ? std::string("\\|") : std::string(1, c);
    std::ofstream(table, std::ios::app) << "| " << group << " | " << name << " | `" << escaped << "` |\n";
}

}  // namespace smallnet::testing
