// SPDX-License-Identifier: MIT
// Run-time choice of the statistic by name: a thin switch over the compile-time policies.
#pragma once

#include <skystack/error.hpp>
#include <skystack/stack/config.hpp>
#include <skystack/stack/policies.hpp>
#include <skystack/stack/stacker.hpp>

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace skystack {

/// The built-in statistics, for run-time selection.
enum class Statistic { mean, weighted_mean, sum, min, max, median, meanclip };

/// Parse a statistic name, case-insensitively: "mean" (unweighted), "weighted_mean" (alias "wmean"), "sum",
/// "min", "max", "median", "meanclip" (alias "clipped_mean"). Note: AssembleCoadd's "MEAN" is weighted (its
/// statistics control sets weighted = true); here "mean" is the unweighted Mean policy.
/// @throws InvalidParameterError for an unknown name (afw silently returns NOTHING).
inline Statistic parse_statistic(std::string_view name) {
    std::string s(name);
    for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (s == "mean") return Statistic::mean;
    if (s == "weighted_mean" || s == "wmean") return Statistic::weighted_mean;
    if (s == "sum") return Statistic::sum;
    if (s == "min") return Statistic::min;
    if (s == "max") return Statistic::max;
    if (s == "median") return Statistic::median;
    if (s == "meanclip" || s == "clipped_mean") return Statistic::meanclip;
    throw InvalidParameterError(detail::msg("unknown stack statistic '", name,
                                            "' (expected mean, weighted_mean, sum, min, max, median, meanclip)"));
}

/// Stack with the statistic chosen at run time.
template <class T>
StackResult<T> stack(Statistic stat, std::vector<MaskedImageView<T const>> const& inputs, Box2I bbox,
                     StackConfig const& cfg = {}) {
    switch (stat) {
    case Statistic::mean:
        return Stacker<Mean>(cfg)(inputs, bbox);
    case Statistic::weighted_mean:
        return Stacker<WeightedMean>(cfg)(inputs, bbox);
    case Statistic::sum:
        return Stacker<Sum>(cfg)(inputs, bbox);
    case Statistic::min:
        return Stacker<Min>(cfg)(inputs, bbox);
    case Statistic::max:
        return Stacker<Max>(cfg)(inputs, bbox);
    case Statistic::median:
        return Stacker<Median>(cfg)(inputs, bbox);
    case Statistic::meanclip:
        return Stacker<ClippedMean>(cfg)(inputs, bbox);
    }
    throw InvalidParameterError("stack: invalid Statistic value");
}

/// Stack with the statistic named at run time (see parse_statistic). @throws InvalidParameterError if unknown.
template <class T>
StackResult<T> stack(std::string_view statistic, std::vector<MaskedImageView<T const>> const& inputs, Box2I bbox,
                     StackConfig const& cfg = {}) {
    return stack<T>(parse_statistic(statistic), inputs, bbox, cfg);
}

} // namespace skystack
