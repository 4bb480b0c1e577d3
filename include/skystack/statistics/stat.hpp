// SPDX-License-Identifier: MIT
#pragma once

#include <skystack/error.hpp>

#include <array>
#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace skystack {

/// What `statistics()` computes: bit flags with afw's `lsst::afw::math::Property` values, combined with `|`.
///
/// `Errors` asks for the errors of the other requested quantities as well (afw ERRORS).
enum class Stat : std::uint32_t {
    Nothing = 0x0,        ///< nothing (afw NOTHING)
    Errors = 0x1,         ///< also compute errors of the requested quantities
    NPoint = 0x2,         ///< number of accepted pixels
    Mean = 0x4,           ///< (weighted) mean
    Stdev = 0x8,          ///< sqrt(Variance)
    Variance = 0x10,      ///< debiased (weighted) sample variance
    Median = 0x20,        ///< median, linear interpolation between order statistics (unweighted)
    IqRange = 0x40,       ///< q75 - q25 (unweighted)
    MeanClip = 0x80,      ///< iterative N-sigma clipped (weighted) mean
    StdevClip = 0x100,    ///< sqrt(VarianceClip)
    VarianceClip = 0x200, ///< variance of the pixels surviving the last clip
    Min = 0x400,          ///< minimum accepted value
    Max = 0x800,          ///< maximum accepted value
    Sum = 0x1000,         ///< sum of w*x over accepted pixels (sum of x when unweighted)
    MeanSquare = 0x2000,  ///< ((n-1)/n) * Variance + Mean^2
    OrMask = 0x4000,      ///< OR of the masks of accepted pixels plus propagated bits
    NClipped = 0x8000,    ///< accepted pixels removed by the last clip iteration
    NMasked = 0x10000,    ///< pixels not accepted (masked by bad_mask, non-finite, non-positive variance)
};

constexpr Stat operator|(Stat a, Stat b) noexcept { return Stat(std::uint32_t(a) | std::uint32_t(b)); }
constexpr Stat operator&(Stat a, Stat b) noexcept { return Stat(std::uint32_t(a) & std::uint32_t(b)); }
constexpr Stat operator^(Stat a, Stat b) noexcept { return Stat(std::uint32_t(a) ^ std::uint32_t(b)); }
constexpr Stat operator~(Stat a) noexcept { return Stat(~std::uint32_t(a) & 0x1ffffu); }
constexpr Stat& operator|=(Stat& a, Stat b) noexcept { return a = a | b; }
constexpr Stat& operator&=(Stat& a, Stat b) noexcept { return a = a & b; }

/// True when `flags` has any of the bits of `which`.
constexpr bool any_of(Stat flags, Stat which) noexcept { return (std::uint32_t(flags) & std::uint32_t(which)) != 0; }
/// True when `flags` has all of the bits of `which`.
constexpr bool all_of(Stat flags, Stat which) noexcept {
    return (std::uint32_t(flags) & std::uint32_t(which)) == std::uint32_t(which);
}
/// True when `s` is exactly one flag.
constexpr bool is_single(Stat s) noexcept { return std::has_single_bit(std::uint32_t(s)); }

/// Every flag skystack knows, in afw's order.
inline constexpr std::array<Stat, 17> all_stats = {
    Stat::Errors,  Stat::NPoint,     Stat::Mean,      Stat::Stdev,        Stat::Variance, Stat::Median,
    Stat::IqRange, Stat::MeanClip,   Stat::StdevClip, Stat::VarianceClip, Stat::Min,      Stat::Max,
    Stat::Sum,     Stat::MeanSquare, Stat::OrMask,    Stat::NClipped,     Stat::NMasked};

/// afw's upper-case name of a single flag ("MEANCLIP"); "NOTHING" for Stat::Nothing, "" for a combination.
constexpr std::string_view name(Stat s) noexcept {
    switch (s) {
    case Stat::Nothing:
        return "NOTHING";
    case Stat::Errors:
        return "ERRORS";
    case Stat::NPoint:
        return "NPOINT";
    case Stat::Mean:
        return "MEAN";
    case Stat::Stdev:
        return "STDEV";
    case Stat::Variance:
        return "VARIANCE";
    case Stat::Median:
        return "MEDIAN";
    case Stat::IqRange:
        return "IQRANGE";
    case Stat::MeanClip:
        return "MEANCLIP";
    case Stat::StdevClip:
        return "STDEVCLIP";
    case Stat::VarianceClip:
        return "VARIANCECLIP";
    case Stat::Min:
        return "MIN";
    case Stat::Max:
        return "MAX";
    case Stat::Sum:
        return "SUM";
    case Stat::MeanSquare:
        return "MEANSQUARE";
    case Stat::OrMask:
        return "ORMASK";
    case Stat::NClipped:
        return "NCLIPPED";
    case Stat::NMasked:
        return "NMASKED";
    }
    return "";
}

/// The flag called `s` (afw stringToStatisticsProperty), or nullopt for an unknown name. Case-sensitive, as afw.
constexpr std::optional<Stat> try_parse_stat(std::string_view s) noexcept {
    if (s == "NOTHING") return Stat::Nothing;
    for (Stat f : all_stats)
        if (name(f) == s) return f;
    return std::nullopt;
}

/// The flag called `s` ("MEANCLIP" -> Stat::MeanClip).
/// @throws InvalidParameterError for an unknown name (afw silently returns NOTHING; skystack refuses).
inline Stat parse_stat(std::string_view s) {
    if (auto f = try_parse_stat(s)) return *f;
    throw InvalidParameterError(detail::msg("parse_stat: unknown statistic name \"", std::string(s), "\""));
}

} // namespace skystack
