#include "nn/io/csv.hpp"

#include <cstdio>
#include <stdexcept>

#include "nn/io/atomic_file.hpp"
#include "nn/io/file_error.hpp"

namespace smallnet {

namespace {

std::string field(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string quoted = "\"";
    for (char c : text) {
        if (c == '"') quoted += '"';  // a quote inside a quoted field is doubled
        quoted += c;
    }
    return quoted + "\"";
}

std::string number(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.9g", value);
    return text;
}

}  // namespace

std::string csv_text(const CsvTable& table) {
    std::string text;
    // Appending piece by piece also keeps GCC 12 from a false -Wrestrict on "literal" + std::string.
    for (std::size_t i = 0; i < table.header.size(); ++i) {
        if (i) text += ',';
        text += field(table.header[i]);
    }
    text += '\n';
    for (std::size_t r = 0; r < table.rows.size(); ++r) {
        const std::vector<double>& row = table.rows[r];
        if (row.size() != table.header.size())
            throw std::invalid_argument("row " + std::to_string(r) + " has " + std::to_string(row.size()) +
                                      " values but the header has " + std::to_string(table.header.size()) +
                                      " columns");
        for (std::size_t i = 0; i < row.size(); ++i) {
            if (i) text += ',';
            text += number(row[i]);
        }
        text += '\n';
    }
    return text;
}

void save_csv(const std::filesystem::path& path, const CsvTable& table) {
    std::string text;
    try {
        text = csv_text(table);
    } catch (const std::invalid_argument& e) {
        throw FileError(path, e.what());
    }
    write_file_atomically(path, std::as_bytes(std::span(text)));
}

}  // namespace smallnet
