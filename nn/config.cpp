#include "nn/config.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>

namespace smallnet {

Config& Config::set(std::string_view field, Value value) {
    for (auto& [name, existing] : fields)
        if (name == field) {
            existing = std::move(value);
            return *this;
        }
    fields.emplace_back(std::string(field), std::move(value));
    return *this;
}

Config& Config::set(std::string_view field, float number) {
    char text[32];
    const auto end = std::to_chars(text, text + sizeof text, number).ptr;
    return set(field, Value(std::strtod(std::string(text, end).c_str(), nullptr)));
}

bool Config::has(std::string_view field) const {
    for (const auto& [name, value] : fields)
        if (name == field) return true;
    return false;
}

void Config::fail(std::string_view field, const std::string& problem) const {
    throw std::invalid_argument((where.empty() ? std::string() : where + " ") + "(" + type + "): field '" +
                                std::string(field) + "' " + problem);
}

const Config::Value& Config::value(std::string_view field, const char* kind) const {
    for (const auto& [name, value] : fields)
        if (name == field) return value;
    fail(field, std::string("is missing (it must be ") + kind + ")");
}

bool Config::flag(std::string_view field) const {
    const Value& v = value(field, "true or false");
    if (const bool* b = std::get_if<bool>(&v)) return *b;
    fail(field, "must be true or false");
}

double Config::number(std::string_view field) const {
    const Value& v = value(field, "a number");
    const double* d = std::get_if<double>(&v);
    if (!d || !std::isfinite(*d)) fail(field, "must be a finite number");
    return *d;
}

float Config::finite_float(std::string_view field) const {
    const double d = number(field);
    if (std::abs(d) > static_cast<double>(std::numeric_limits<float>::max())) fail(field, "is beyond the range of a float");
    return static_cast<float>(d);
}

namespace {
// Whether d is a whole number in [minimum, 2^53] (the largest a JSON number holds exactly).
bool whole_at_least(double d, std::int64_t minimum) {
    return std::isfinite(d) && d == std::floor(d) && d >= static_cast<double>(minimum) && d <= 9007199254740992.0;
}
std::string number_text(double d) {
    std::string text = std::to_string(d);
    text.erase(text.find_last_not_of('0') + 1);
    if (!text.empty() && text.back() == '.') text.pop_back();
    return text;
}
}  // namespace

std::int64_t Config::integer(std::string_view field, std::int64_t minimum) const {
    const Value& v = value(field, "a whole number");
    const double* d = std::get_if<double>(&v);
    if (!d || !whole_at_least(*d, minimum))
        fail(field, "must be a whole number >= " + std::to_string(minimum) +
                        (d ? ", got " + number_text(*d) : std::string(", got another kind of value")));
    return static_cast<std::int64_t>(*d);
}

const std::string& Config::text(std::string_view field) const {
    const Value& v = value(field, "a text");
    if (const std::string* s = std::get_if<std::string>(&v)) return *s;
    fail(field, "must be a text");
}

std::vector<std::int64_t> Config::integers(std::string_view field, std::int64_t minimum) const {
    const Value& v = value(field, "a list of whole numbers");
    const auto* list = std::get_if<std::vector<double>>(&v);
    if (!list) fail(field, "must be a list of whole numbers");
    std::vector<std::int64_t> out;
    for (double d : *list) {
        if (!whole_at_least(d, minimum))
            fail(field, "must hold whole numbers >= " + std::to_string(minimum) + ", got " + number_text(d));
        out.push_back(static_cast<std::int64_t>(d));
    }
    return out;
}

}  // namespace smallnet
