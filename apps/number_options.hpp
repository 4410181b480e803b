#pragma once
// The apps' number options. CLI11 2.1 reads an integer with strtoll/strtoull in base 0, so "010" is
// octal 8 and "0x10" is 16, and an unsigned option takes "-1" or 99999999999999999999 as 2^64 - 1; its
// Range says "Value ten not in range" of a word. std::stod, which read the real numbers, takes "nan",
// "inf" and hexadecimal. These validators take decimal numbers only and say which way a value is bad:
// not a number, negative, too large, or out of the option's range. CLI11 puts the option's name in
// front ("--epochs: ten is not a whole number ...").

#include <CLI/CLI.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <system_error>

namespace smallnet {

// A whole number from `low` to `high`, in decimal digits (a leading '-' is read to say "negative").
// Attach it with ->transform(): it rewrites the value without its leading zeros, so that CLI11's own
// conversion cannot read it as octal.
inline CLI::Validator whole_number(std::uint64_t low, std::uint64_t high) {
    const std::string range = std::to_string(low) + " to " + std::to_string(high);
    const std::string expected = "; expected a whole number from " + range;
    return CLI::Validator(
        [low, high, range, expected](std::string& value) -> std::string {
            const bool negative = !value.empty() && value[0] == '-';
            const std::string digits = negative ? value.substr(1) : value;
            const bool decimal = !digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos;
            if (!decimal) return value + " is not a whole number in decimal digits" + expected;
            if (negative) return value + " is negative" + expected;
            std::uint64_t number = 0;
            if (std::from_chars(digits.data(), digits.data() + digits.size(), number).ec == std::errc::result_out_of_range)
                return value + " is too large: more than " + std::to_string(UINT64_MAX) + expected;
            if (number < low || number > high) return "Value " + value + " not in range " + range;
            value = std::to_string(number);
            return "";
        },
        "INT in range " + range);
}

// A finite real number from `low` to `high` (`high` itself excluded when `high_excluded`), in decimal
// notation with an optional exponent ("0.5", "-1", "1e-4"). Attach it with ->check().
inline CLI::Validator real_range(double low, double high, bool high_excluded = false) {
    // The bounds as written ("0.5", not CLI11's "0.500000").
    const auto text = [](double bound) {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%g", bound);
        return std::string(buffer);
    };
    const std::string range = text(low) + " to " + text(high) + (high_excluded ? ", " + text(high) + " excluded" : "");
    const std::string expected = "; expected a number from " + range;
    return CLI::Validator(
        [low, high, high_excluded, range, expected](std::string& value) -> std::string {
            double number = 0.0;
            const char* const end = value.data() + value.size();
            const auto [stop, error] = std::from_chars(value.data(), end, number);
            if (stop != end || (error != std::errc{} && error != std::errc::result_out_of_range) || value.empty())
                return value + " is not a number" + expected;
            if (error == std::errc::result_out_of_range) return value + " is beyond the range of a double" + expected;
            if (std::isnan(number)) return value + " is not a number" + expected;
            if (std::isinf(number)) return value + " is not a finite number" + expected;
            if (number < low || number > high || (high_excluded && number == high))
                return "Value " + value + " not in range " + range;
            return "";
        },
        "REAL in range " + range);
}

}  // namespace smallnet
