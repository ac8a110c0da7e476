#include "js_args.h"

#include <cmath>
#include <string_view>

namespace qplug {

namespace {

constexpr double kU32Max = 4294967295.0;

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
    return IntegerValue(info_[index], name, min, max);
}

double ArgReader::IntegerValue(const Napi::Value &value, const std::string &name, double min,
                               double max) const {
    const std::string range =
        name + " must be an integer from " + FormatNumber(min) + " to " + FormatNumber(max);
    if (!value.IsNumber())
        ThrowType(range + ", got " + DescribeType(value));
    const double number = value.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(number) || number != std::floor(number) || number < min || number > max) {
        ThrowRange(range + ", got " + FormatNumber(number));
    }
    return number;
}

uint32_t ArgReader::U32(size_t index, const char *name) const {
    return static_cast<uint32_t>(Integer(index, name, 0, kU32Max));
}

uint32_t ArgReader::U32In(size_t index, const char *name, uint32_t min, uint32_t max) const {
    return static_cast<uint32_t>(Integer(index, name, min, max));
}

Napi::Array ArgReader::ArrayValue(const Napi::Value &value, const std::string &name) const {
    if (!value.IsArray())
        ThrowType(name + " must be an array, got " + DescribeType(value));
    return value.As<Napi::Array>();
}

Napi::Object ArgReader::ObjectValue(const Napi::Value &value, const std::string &name) const {
    if (!value.IsObject() || value.IsArray() || value.IsFunction()) {
        ThrowType(name + " must be an object, got " + DescribeType(value));
    }
    return value.As<Napi::Object>();
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

std::array<uint8_t, kPrioMapSize> ArgReader::Priomap(size_t index, const char *name,
                                                     uint32_t bands) const {
    const Napi::Array array = ArrayValue(info_[index], name);
    if (array.Length() != kPrioMapSize) {
        ThrowRange(std::string(name) + " must have " + std::to_string(kPrioMapSize) +
                   " entries, got " + std::to_string(array.Length()));
    }
    std::array<uint8_t, kPrioMapSize> priomap{};
    for (uint32_t i = 0; i < kPrioMapSize; ++i) {
        const std::string entry = std::string(name) + "[" + std::to_string(i) + "]";
        // A band: the kernel refuses entries that are not below bands.
        priomap[i] = static_cast<uint8_t>(IntegerValue(array.Get(i), entry, 0, bands - 1));
    }
    return priomap;
}

U32Key ArgReader::Key(const Napi::Value &value, const std::string &name) const {
    const Napi::Object object = ObjectValue(value, name);
    U32Key key;
    key.value =
        static_cast<uint32_t>(IntegerValue(object.Get("value"), name + ".value", 0, kU32Max));
    key.mask = static_cast<uint32_t>(IntegerValue(object.Get("mask"), name + ".mask", 0, kU32Max));
    // A header field lies well within 64 KiB of the network header (or, at a
    // negative offset, in the link-layer header before it); tc only takes
    // offsets of whole 32-bit words.
    const double offset = IntegerValue(object.Get("offset"), name + ".offset", -65536, 65532);
    if (std::fmod(offset, 4) != 0)
        ThrowRange(name + ".offset must be a multiple of 4, got " + FormatNumber(offset));
    key.offset = static_cast<int32_t>(offset);
    return key;
}

U32FilterSpec ArgReader::U32Filter(size_t index, const char *name) const {
    const std::string base = name;
    const Napi::Object options = ObjectValue(info_[index], base);
    U32FilterSpec spec;
    // Priority 0 would make the kernel pick one, which deleteFilters could not name.
    spec.priority =
        static_cast<uint16_t>(IntegerValue(options.Get("priority"), base + ".priority", 1, 65535));
    // The kernel refuses to create a filter for protocol 0.
    spec.protocol =
        static_cast<uint16_t>(IntegerValue(options.Get("protocol"), base + ".protocol", 1, 65535));
    spec.classid =
        static_cast<uint32_t>(IntegerValue(options.Get("classid"), base + ".classid", 0, kU32Max));
    const Napi::Value handle = options.Get("handle");
    if (!handle.IsUndefined())
        spec.handle = static_cast<uint32_t>(IntegerValue(handle, base + ".handle", 0, kU32Max));

    const Napi::Array keys = ArrayValue(options.Get("keys"), base + ".keys");
    if (keys.Length() > kMaxU32Keys) {
        ThrowRange(base + ".keys must have at most " + std::to_string(kMaxU32Keys) +
                   " entries, got " + std::to_string(keys.Length()));
    }
    for (uint32_t i = 0; i < keys.Length(); ++i)
        spec.keys.push_back(Key(keys.Get(i), base + ".keys[" + std::to_string(i) + "]"));
    return spec;
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
