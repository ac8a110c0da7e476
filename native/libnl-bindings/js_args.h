// Defensive checks of the arguments of RouteSocket's methods. The TypeScript
// layer validates first; these only make sure bad input from any caller ends
// in a TypeError or RangeError instead of undefined behaviour.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <napi.h>

#include "rtnl_requests.h"

namespace qplug {

class ArgReader {
  public:
    ArgReader(const Napi::CallbackInfo &info, const char *method) : info_(info), method_(method) {}

    // An integer in [0, 2^32 - 1] (handles, parents, byte limits).
    uint32_t U32(size_t index, const char *name) const;
    // An interface index: an integer in [1, 2^31 - 1], or also 0 when allowZero.
    int Ifindex(size_t index, const char *name, bool allowZero = false) const;
    PlugAction Action(size_t index, const char *name) const;
    // The options object of the constructor: its netns path, if any.
    std::optional<std::string> NetnsOption(size_t index) const;

    [[noreturn]] void ThrowType(const std::string &what) const;
    [[noreturn]] void ThrowRange(const std::string &what) const;

  private:
    double Integer(size_t index, const char *name, double min, double max) const;

    const Napi::CallbackInfo &info_;
    const char *method_;
};

} // namespace qplug
