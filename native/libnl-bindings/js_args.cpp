#include "js_args.h"

#include <cmath>
#include <string_view>

namespace qplug {

namespace {

std::string FormatNumber(double value) {
    if (std::isnan(value))
        return "NaN";
    if (std::isinf(value))
        return value > 0 ? "Infinity" : "-Infinity";
    if (value == std::floor(value) && std::fabs(value) < 1e18) {
        return std::to_string(static_cast<long long>(value));
    }
    return std::to_string(value);
}

std::string DescribeType(const Napi::Value &value) {
    switch (value.Type()) {
    case napi_undefined:
        return "undefined";
    case napi_null:
        return "null";
    case napi_boolean:
        return "a boolean";
    case napi_number:
        return "a number";
    case napi_string:
        return "a string";
    case napi_symbol:
        return "a symbol";
    case napi_object:
        return "an object";
    case napi_function:
        return "a function";
    case napi_bigint:
        return "a bigint";
    default:
        return "an unsupported value";
    }
}

} // namespace

void ArgReader::ThrowType(const std::string &what) const {
    throw Napi::TypeError::New(info_.Env(), std::string(method_) + ": " + what);
}

void ArgReader::ThrowRange(const std::string &what) const {
    throw Napi::RangeError::New(info_.Env(), std::string(method_) + ": " + what);
}

double ArgReader::Integer(size_t index, const char *name, double min, double max) const {
    const Napi::Value value = info_[index];
    const std::string range = std::string(name) + " must be an integer from " + FormatNumber(min) +
                              " to " + FormatNumber(max);
    if (!value.IsNumber())
        ThrowType(range + ", got " + DescribeType(value));
    const double number = value.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(number) || number != std::floor(number) || number < min || number > max) {
        ThrowRange(range + ", got " + FormatNumber(number));
    }
    return number;
}

uint32_t ArgReader::U32(size_t index, const char *name) const {
    return static_cast<uint32_t>(Integer(index, name, 0, 4294967295.0));
}

int ArgReader::Ifindex(size_t index, const char *name, bool allowZero) const {
    return static_cast<int>(Integer(index, name, allowZero ? 0 : 1, 2147483647.0));
}

PlugAction ArgReader::Action(size_t index, const char *name) const {
    const Napi::Value value = info_[index];
    const std::string expected =
        std::string(name) + " must be 'buffer', 'release_one', 'release_indefinite' or 'limit'";
    if (!value.IsString())
        ThrowType(expected + ", got " + DescribeType(value));
    const std::string action = value.As<Napi::String>().Utf8Value();
    if (action == "buffer")
        return PlugAction::Buffer;
    if (action == "release_one")
        return PlugAction::ReleaseOne;
    if (action == "release_indefinite")
        return PlugAction::ReleaseIndefinite;
    if (action == "limit")
        return PlugAction::Limit;
    ThrowRange(expected + ", got '" + action + "'");
}

std::optional<std::string> ArgReader::NetnsOption(size_t index) const {
    const Napi::Value options = info_[index];
    if (options.IsUndefined() || options.IsNull())
        return std::nullopt;
    if (!options.IsObject() || options.IsArray() || options.IsFunction()) {
        ThrowType("options must be an object, got " + DescribeType(options));
    }
    const Napi::Value netns = options.As<Napi::Object>().Get("netns");
    if (netns.IsUndefined())
        return std::nullopt;
    if (!netns.IsString())
        ThrowType("options.netns must be a string, got " + DescribeType(netns));
    std::string path = netns.As<Napi::String>().Utf8Value();
    if (path.empty())
        ThrowRange("options.netns must not be empty");
    if (std::string_view(path).find('\0') != std::string_view::npos) {
        ThrowRange("options.netns must not contain NUL characters");
    }
    return path;
}

} // namespace qplug
