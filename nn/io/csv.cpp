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
    if (!table.texts.empty() && table.texts.size() != table.rows.size())
        throw std::invalid_argument("the table has " + std::to_string(table.texts.size()) + " rows of texts for " +
                                    std::to_string(table.rows.size()) + " rows of numbers");
    for (std::size_t r = 0; r < table.rows.size(); ++r) {
        const std::vector<double>& row = table.rows[r];
        const std::size_t text_columns = table.texts.empty() ? 0 : table.texts[r].size();
        if (text_columns + row.size() != table.header.size() || (!table.texts.empty() && text_columns != table.texts[0].size()))
            throw std::invalid_argument("row " + std::to_string(r) + " has " + std::to_string(text_columns + row.size()) +
                                        " values but the header has " + std::to_string(table.header.size()) +
                                        " columns");
        for (std::size_t i = 0; i < text_columns; ++i) {
            if (i) text += ',';
            text += field(table.texts[r][i]);
        }
        for (std::size_t i = 0; i < row.size(); ++i) {
            if (i || text_columns) text += ',';
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
