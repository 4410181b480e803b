#pragma once
// Config: the settings of a layer, an optimizer or a learning-rate schedule as a model file stores
// them (Keras' get_config / from_config): a type name and fields by name, each a flag, a number, a
// text or a list of numbers; a Sequential's config also holds its layers' configs, in order, and an
// optimizer's the config of its learning-rate schedule.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace smallnet {

class Config {
public:
    using Value = std::variant<bool, double, std::string, std::vector<double>>;

    Config() = default;
    explicit Config(std::string type) : type(std::move(type)) {}

    // Adds (or replaces) a field; returns *this so that fields chain.
    Config& set(std::string_view field, Value value);
    Config& set(std::string_view field, const char* text) { return set(field, Value(std::string(text))); }
    Config& set(std::string_view field, bool flag) { return set(field, Value(flag)); }
    Config& set(std::string_view field, double number) { return set(field, Value(number)); }
    Config& set(std::string_view field, std::string text) { return set(field, Value(std::move(text))); }
    Config& set(std::string_view field, std::vector<double> numbers) { return set(field, Value(std::move(numbers))); }
    // The shortest decimal that reads back as the same float (0.3, not 0.30000001192092896).
    Config& set(std::string_view field, float number);
    Config& set(std::string_view field, int number) { return set(field, Value(static_cast<double>(number))); }
    Config& set(std::string_view field, std::int64_t number) { return set(field, Value(static_cast<double>(number))); }

    bool has(std::string_view field) const;
    // The same type, fields and children (where they were read from aside).
    bool operator==(const Config& other) const {
        return type == other.type && fields == other.fields && children == other.children;
    }
    // The field's value, checked: each throws std::invalid_argument naming `where`, the type and the
    // field when it is missing or of another kind ("layer 'encoder.1' (Dense): field 'units' must be
    // a whole number >= 1, got 2.5").
    bool flag(std::string_view field) const;
    double number(std::string_view field) const;
    float finite_float(std::string_view field) const;  // a number that fits a float
    std::int64_t integer(std::string_view field, std::int64_t minimum) const;
    const std::string& text(std::string_view field) const;
    std::vector<std::int64_t> integers(std::string_view field, std::int64_t minimum) const;
    // A field of a config that has no such field: the error the getters give, for checks of one's own.
    [[noreturn]] void fail(std::string_view field, const std::string& problem) const;

    std::string type;
    std::vector<std::pair<std::string, Value>> fields;
    std::vector<Config> children;  // a Sequential's layers; an optimizer's schedule (if any)
    // Where this config is in the file, for errors: "layer 'encoder.1'"; set by the reader.
    std::string where;

private:
    const Value& value(std::string_view field, const char* kind) const;
};

}  // namespace smallnet
