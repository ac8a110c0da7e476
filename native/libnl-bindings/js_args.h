// Defensive checks of the arguments of RouteSocket's methods. The TypeScript
// layer validates first; these only make sure bad input from any caller ends
// in a TypeError or RangeError instead of undefined behaviour.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include <napi.h>

#include "rtnl_filters.h"
#include "rtnl_requests.h"

namespace qplug {

class ArgReader {
  public:
    ArgReader(const Napi::CallbackInfo &info, const char *method) : info_(info), method_(method) {}

    // An integer in [0, 2^32 - 1] (handles, parents, byte limits).
    uint32_t U32(size_t index, const char *name) const;
    // An integer in [min, max].
    uint32_t U32In(size_t index, const char *name, uint32_t min, uint32_t max) const;
    // An interface index: an integer in [1, 2^31 - 1], or also 0 when allowZero.
    int Ifindex(size_t index, const char *name, bool allowZero = false) const;
    PlugAction Action(size_t index, const char *name) const;
    // A prio priomap: an array of kPrioMapSize bands, each below bands.
    std::array<uint8_t, kPrioMapSize> Priomap(size_t index, const char *name, uint32_t bands) const;
    // addU32Filter's options object.
    U32FilterSpec U32Filter(size_t index, const char *name) const;
    // The options object of the constructor: its netns path, if any.
    std::optional<std::string> NetnsOption(size_t index) const;

    [[noreturn]] void ThrowType(const std::string &what) const;
    [[noreturn]] void ThrowRange(const std::string &what) const;

  private:
    double Integer(size_t index, const char *name, double min, double max) const;
    double IntegerValue(const Napi::Value &value, const std::string &name, double min,
                        double max) const;
    Napi::Array ArrayValue(const Napi::Value &value, const std::string &name) const;
    // A plain object: not an array, not a function.
    Napi::Object ObjectValue(const Napi::Value &value, const std::string &name) const;
    U32Key Key(const Napi::Value &value, const std::string &name) const;

    const Napi::CallbackInfo &info_;
    const char *method_;
};

} // namespace qplug
