// SPDX-License-Identifier: MIT
#pragma once

#include <skystack/error.hpp>
#include <skystack/pixel_traits.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace skystack {

/// One named mask plane: its bit index and a free-text description.
struct MaskPlane {
    std::string name;
    int index = -1;
    std::string description;
    [[nodiscard]] MaskPixel bit() const noexcept { return MaskPixel(1) << index; }
    bool operator==(MaskPlane const&) const = default;
};

/// The mask-plane registry (afw MaskDict): plane name -> bit index, up to 32 planes.
///
/// Masks hold it through `std::shared_ptr<MaskPlanes>`; by default every Mask shares one registry (as afw's
/// default dictionary), so adding a plane through one mask makes it visible through all masks that share it.
/// Registries that differ are reconciled explicitly (`conform` remaps pixel bits), never silently mixed.
/// Thread-safe: lookups and additions take an internal lock; look bits up once, before pixel loops.
///
/// Names are upper-case upstream names; "SATURATED" and "INTERPOLATED" are accepted as aliases of "SAT" and
/// "INTRP" (the names afw writes).
class MaskPlanes : public std::enable_shared_from_this<MaskPlanes> {
public:
    static constexpr int max_planes = 8 * int(sizeof(MaskPixel));

private:
    mutable std::mutex m_mutex;
    std::array<std::string, max_planes> m_names{};
    std::array<std::string, max_planes> m_desc{};

    static std::string_view canonical(std::string_view name) noexcept {
        if (name == "SATURATED") return "SAT";
        if (name == "INTERPOLATED") return "INTRP";
        return name;
    }
    /// Description of a standard plane that is added on demand (REJECTED, SENSOR_EDGE, INEXACT_PSF), else empty.
    static std::string_view on_demand_description(std::string_view name) noexcept {
        if (name == "REJECTED") return "coadd: an input was rejected here because of a bad mask bit";
        if (name == "SENSOR_EDGE") return "coadd: an input was rejected here because of EDGE";
        if (name == "INEXACT_PSF") return "coadd: the PSF model is not exact here";
        return {};
    }
    std::optional<int> find_locked(std::string_view name) const noexcept {
        name = canonical(name);
        for (int i = 0; i < max_planes; ++i)
            if (!m_names[i].empty() && m_names[i] == name) return i;
        return std::nullopt;
    }

public:
    /// An empty registry (no planes).
    MaskPlanes() = default;
    MaskPlanes(MaskPlanes const& o) : std::enable_shared_from_this<MaskPlanes>() {
        std::lock_guard lock(o.m_mutex);
        m_names = o.m_names;
        m_desc = o.m_desc;
    }
    MaskPlanes& operator=(MaskPlanes const& o) {
        if (this == &o) return *this;
        std::scoped_lock lock(m_mutex, o.m_mutex);
        m_names = o.m_names;
        m_desc = o.m_desc;
        return *this;
    }

    /// A new registry with the standard planes, in afw's default index order: BAD 0, SAT 1, INTRP 2, CR 3, EDGE 4,
    /// DETECTED 5, DETECTED_NEGATIVE 6, SUSPECT 7, NO_DATA 8, VIGNETTED 9, STREAK 10, then CROSSTALK 11,
    /// UNMASKEDNAN 12, CLIPPED 13. REJECTED, SENSOR_EDGE and INEXACT_PSF are added on demand by the stacker.
    static std::shared_ptr<MaskPlanes> make_standard() {
        auto p = std::make_shared<MaskPlanes>();
        static constexpr std::pair<char const*, char const*> std_planes[] = {
            {"BAD", "known detector defect"},
            {"SAT", "above full well (saturated)"},
            {"INTRP", "value interpolated from neighbours"},
            {"CR", "cosmic-ray hit"},
            {"EDGE", "near the detector boundary"},
            {"DETECTED", "inside a positive source footprint"},
            {"DETECTED_NEGATIVE", "inside a negative source footprint"},
            {"SUSPECT", "near saturation; linearity doubtful"},
            {"NO_DATA", "no usable data"},
            {"VIGNETTED", "vignetted by the optics"},
            {"STREAK", "satellite or meteor streak"},
            {"CROSSTALK", "crosstalk corrected"},
            {"UNMASKEDNAN", "NaN produced during instrument signature removal"},
            {"CLIPPED", "coadd: an input was clipped here"},
        };
        for (auto const& [n, d] : std_planes) p->add(n, d);
        return p;
    }
    /// The process-wide registry that default-constructed masks share (afw's default dictionary).
    static std::shared_ptr<MaskPlanes> const& shared_default() {
        static std::shared_ptr<MaskPlanes> const instance = make_standard();
        return instance;
    }

    /// Index of plane `name`, adding it at the lowest free index if unknown (afw addMaskPlane). Gaps left by
    /// removed planes are reused. A known name keeps its index (and description).
    /// @throws LengthError when all 32 bits are in use; InvalidParameterError for an empty name.
    int add(std::string_view name, std::string_view description = {}) {
        if (name.empty()) throw InvalidParameterError("mask plane name must not be empty");
        std::lock_guard lock(m_mutex);
        if (auto i = find_locked(name)) return *i;
        for (int i = 0; i < max_planes; ++i)
            if (m_names[i].empty()) {
                m_names[i] = canonical(name);
                m_desc[i] = description.empty() ? on_demand_description(m_names[i]) : description;
                return i;
            }
        throw LengthError(detail::msg("cannot add mask plane '", name, "': all ", max_planes, " bits are in use"));
    }
    /// Index of `name`, or nullopt.
    [[nodiscard]] std::optional<int> find(std::string_view name) const {
        std::lock_guard lock(m_mutex);
        return find_locked(name);
    }
    [[nodiscard]] bool contains(std::string_view name) const { return find(name).has_value(); }
    /// Index of `name` (afw getMaskPlane). @throws NotFoundError if unknown.
    [[nodiscard]] int index(std::string_view name) const {
        if (auto i = find(name)) return *i;
        throw NotFoundError(detail::msg("unknown mask plane '", name, "'"));
    }
    /// Bit of `name` (afw getPlaneBitMask). @throws NotFoundError if unknown.
    [[nodiscard]] MaskPixel bit_mask(std::string_view name) const { return MaskPixel(1) << index(name); }
    /// Description of plane `name`. @throws NotFoundError if unknown.
    [[nodiscard]] std::string description(std::string_view name) const {
        std::lock_guard lock(m_mutex);
        if (auto i = find_locked(name)) return m_desc[*i];
        throw NotFoundError(detail::msg("unknown mask plane '", name, "'"));
    }
    /// Name of the plane at bit index i, or nullopt when that bit has no plane.
    /// @throws InvalidParameterError when i is not in [0, max_planes).
    [[nodiscard]] std::optional<std::string> name_of(int i) const {
        if (i < 0 || i >= max_planes)
            throw InvalidParameterError(detail::msg("mask plane index ", i, " outside [0, ", max_planes, ")"));
        std::lock_guard lock(m_mutex);
        if (m_names[i].empty()) return std::nullopt;
        return m_names[i];
    }
    /// OR of the bits of several planes. @throws NotFoundError naming the first unknown plane.
    [[nodiscard]] MaskPixel bit_mask(std::span<std::string const> names) const {
        MaskPixel m = 0;
        for (auto const& n : names) m |= bit_mask(n);
        return m;
    }
    [[nodiscard]] MaskPixel bit_mask(std::initializer_list<std::string_view> names) const {
        MaskPixel m = 0;
        for (auto n : names) m |= bit_mask(n);
        return m;
    }
    /// Drop plane `name` from the registry; its bit becomes free (pixels are not touched here). Every mask sharing
    /// this registry loses the name, and a later add() may reuse the bit: clear the bit in those masks first, or
    /// use Mask::remove_and_clear_plane, which detaches one mask instead (afw removeAndClearMaskPlane).
    /// @throws NotFoundError if unknown.
    void remove(std::string_view name) {
        std::lock_guard lock(m_mutex);
        auto i = find_locked(name);
        if (!i) throw NotFoundError(detail::msg("cannot remove unknown mask plane '", name, "'"));
        m_names[*i].clear();
        m_desc[*i].clear();
    }
    /// All planes, ordered by index.
    [[nodiscard]] std::vector<MaskPlane> planes() const {
        std::lock_guard lock(m_mutex);
        std::vector<MaskPlane> out;
        for (int i = 0; i < max_planes; ++i)
            if (!m_names[i].empty()) out.push_back({m_names[i], i, m_desc[i]});
        return out;
    }
    [[nodiscard]] std::size_t size() const { return planes().size(); }
    /// OR of all defined bits.
    [[nodiscard]] MaskPixel all_bits() const {
        MaskPixel m = 0;
        for (auto const& p : planes()) m |= p.bit();
        return m;
    }
    /// Comma-separated names of the planes set in v (afw interpret); unknown bits appear as "bit<N>".
    [[nodiscard]] std::string describe(MaskPixel v) const {
        std::lock_guard lock(m_mutex);
        // afw's Mask::interpret lists the names in name order (its dictionary is a std::map); bits without a name
        // follow as "bitN" in bit order (afw leaves them out; skystack keeps them visible).
        std::vector<std::string> named;
        std::string unnamed;
        for (int i = 0; i < max_planes; ++i) {
            if (!(v & (MaskPixel(1) << i))) continue;
            if (!m_names[i].empty())
                named.push_back(m_names[i]);
            else
                unnamed += (unnamed.empty() ? "bit" : ",bit") + std::to_string(i);
        }
        std::sort(named.begin(), named.end());
        std::string out;
        for (auto const& n : named) {
            if (!out.empty()) out += ',';
            out += n;
        }
        if (!unnamed.empty()) out += (out.empty() ? "" : ",") + unnamed;
        return out;
    }
    /// True when both registries map the same names to the same bits.
    [[nodiscard]] bool same_layout(MaskPlanes const& o) const {
        if (this == &o) return true;
        std::scoped_lock lock(m_mutex, o.m_mutex);
        return m_names == o.m_names;
    }

    /// Bit permutation taking pixel values written under `from` to this registry, adding planes of `from` that
    /// this registry lacks (afw conformMaskPlanes). Entry i of the result is the destination bit for source bit i
    /// (0 for source bits with no plane: they are dropped).
    /// @throws LengthError when this registry runs out of bits.
    [[nodiscard]] std::array<MaskPixel, max_planes> conform_map(MaskPlanes const& from) {
        std::array<MaskPixel, max_planes> map{};
        for (auto const& p : from.planes()) map[p.index] = MaskPixel(1) << add(p.name, p.description);
        return map;
    }
};

/// Apply a bit permutation from MaskPlanes::conform_map to one pixel value.
[[nodiscard]] inline MaskPixel remap_bits(MaskPixel v, std::array<MaskPixel, MaskPlanes::max_planes> const& map) {
    MaskPixel out = 0;
    for (int i = 0; v != 0 && i < MaskPlanes::max_planes; ++i, v >>= 1)
        if (v & 1u) out |= map[i];
    return out;
}

} // namespace skystack
