// SPDX-License-Identifier: MIT
#pragma once

#include <skystack/error.hpp>

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace skystack::fits {

/// A FITS keyword value: none (commentary cards, undefined values), logical, integer, real or string.
using Value = std::variant<std::monostate, bool, std::int64_t, double, std::string>;

/// One header card (FITS "keyword record"): keyword, typed value and comment.
///
/// Commentary cards (`COMMENT`, `HISTORY`, blank keyword) keep their text in `comment` and have no value.
struct Card {
    std::string keyword;
    Value value{};
    std::string comment{};

    /// True for COMMENT, HISTORY and blank-keyword cards (free text, no value).
    [[nodiscard]] bool is_commentary() const noexcept {
        return keyword.empty() || keyword == "COMMENT" || keyword == "HISTORY";
    }
    bool operator==(Card const&) const = default;
};

namespace detail {
inline bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               auto up = [](char c) { return (c >= 'a' && c <= 'z') ? char(c - 'a' + 'A') : c; };
               return up(x) == up(y);
           });
}
inline char const* value_type_name(Value const& v) noexcept {
    switch (v.index()) {
    case 0:
        return "none";
    case 1:
        return "logical";
    case 2:
        return "integer";
    case 3:
        return "real";
    default:
        return "string";
    }
}
} // namespace detail

/// An ordered list of FITS header cards (afw's PropertyList as far as FITS needs it).
///
/// Order and duplicates (COMMENT, HISTORY) are kept, so a header read from a file is written back in the same
/// order. Keywords compare case-insensitively, as FITS keywords do. Structural cards (SIMPLE, BITPIX, NAXISn, ...)
/// and the cards skystack manages itself (EXTNAME of the planes, the xy0 "A" WCS, MP_ mask planes) are never taken
/// from a Header on write; see docs/fits.md.
class Header {
    std::vector<Card> m_cards;

    [[nodiscard]] Card* find_mut(std::string_view key) noexcept {
        for (auto& c : m_cards)
            if (detail::iequals(c.keyword, key)) return &c;
        return nullptr;
    }

public:
    Header() = default;
    Header(std::initializer_list<Card> cards) : m_cards(cards) {}

    [[nodiscard]] std::size_t size() const noexcept { return m_cards.size(); }
    [[nodiscard]] bool empty() const noexcept { return m_cards.empty(); }
    [[nodiscard]] auto begin() const noexcept { return m_cards.begin(); }
    [[nodiscard]] auto end() const noexcept { return m_cards.end(); }
    [[nodiscard]] std::vector<Card> const& cards() const noexcept { return m_cards; }

    /// The first card with keyword `key`, or nullptr.
    [[nodiscard]] Card const* find(std::string_view key) const noexcept {
        for (auto const& c : m_cards)
            if (detail::iequals(c.keyword, key)) return &c;
        return nullptr;
    }
    [[nodiscard]] bool contains(std::string_view key) const noexcept { return find(key) != nullptr; }

    /// Value of `key` converted to T (bool, an integer type, a floating type or std::string).
    /// Integers convert to floating types; a real converts to an integer type only when it is integral and fits.
    /// @throws NotFoundError when `key` is absent; InvalidParameterError when the value has another type or
    ///         does not fit in T.
    template <class T>
    [[nodiscard]] T get(std::string_view key) const {
        Card const* c = find(key);
        if (!c) throw NotFoundError(skystack::detail::msg("FITS header has no keyword '", key, "'"));
        return convert<T>(*c);
    }
    /// Value of `key` converted to T, or `fallback` when `key` is absent (a present value of the wrong type throws).
    template <class T>
    [[nodiscard]] T get(std::string_view key, T fallback) const {
        Card const* c = find(key);
        return c ? convert<T>(*c) : fallback;
    }

    /// Set `key` to `value`: the first card with that keyword is updated in place (keeping its position, and its
    /// comment unless `comment` is given), otherwise a card is appended.
    /// @throws InvalidParameterError for an empty keyword or a commentary keyword (use add_comment/add_history).
    template <class T>
    void set(std::string_view key, T const& value, std::string_view comment = {}) {
        if (key.empty() || detail::iequals(key, "COMMENT") || detail::iequals(key, "HISTORY"))
            throw InvalidParameterError(
                skystack::detail::msg("Header::set: '", key, "' is not a valued keyword; use add_comment/add_history"));
        Value v = to_value(value);
        if (Card* c = find_mut(key)) {
            c->value = std::move(v);
            if (!comment.empty()) c->comment = comment;
        } else {
            m_cards.push_back({std::string(key), std::move(v), std::string(comment)});
        }
    }
    /// Append a card as is (duplicates allowed).
    void append(Card card) { m_cards.push_back(std::move(card)); }
    void add_comment(std::string_view text) { m_cards.push_back({"COMMENT", {}, std::string(text)}); }
    void add_history(std::string_view text) { m_cards.push_back({"HISTORY", {}, std::string(text)}); }

    /// Remove every card with keyword `key`; returns how many were removed.
    std::size_t erase(std::string_view key) {
        return std::erase_if(m_cards, [&](Card const& c) { return detail::iequals(c.keyword, key); });
    }
    /// Remove every card for which `pred(card)` is true; returns how many were removed.
    template <class Pred>
    std::size_t erase_if(Pred pred) {
        return std::erase_if(m_cards, pred);
    }

    /// Append the cards of `other` whose keyword this header lacks, and all its COMMENT/HISTORY cards (FITS
    /// INHERIT merging of a primary header into an extension's).
    void merge(Header const& other) {
        for (auto const& c : other.m_cards)
            if (c.is_commentary() || !contains(c.keyword)) m_cards.push_back(c);
    }

    bool operator==(Header const&) const = default;

private:
    template <class T>
    static Value to_value(T const& v) {
        if constexpr (std::is_same_v<T, Value>)
            return v;
        else if constexpr (std::is_same_v<T, bool>)
            return Value(v);
        else if constexpr (std::is_integral_v<T>) {
            if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t)) {
                if (v > T(std::numeric_limits<std::int64_t>::max()))
                    throw InvalidParameterError(
                        skystack::detail::msg("Header::set: ", v, " does not fit a FITS integer"));
            }
            return Value(std::int64_t(v));
        } else if constexpr (std::is_floating_point_v<T>)
            return Value(double(v));
        else if constexpr (std::is_convertible_v<T const&, std::string_view>)
            return Value(std::string(std::string_view(v)));
        else
            static_assert(sizeof(T) == 0, "Header::set: unsupported value type");
    }

    template <class T>
    static T convert(Card const& c) {
        auto bad = [&]() -> InvalidParameterError {
            return InvalidParameterError(skystack::detail::msg("FITS keyword '", c.keyword, "' holds a ",
                                                               detail::value_type_name(c.value),
                                                               " value, which cannot be read as the requested type"));
        };
        if constexpr (std::is_same_v<T, Value>)
            return c.value;
        else if constexpr (std::is_same_v<T, bool>) {
            if (auto const* b = std::get_if<bool>(&c.value)) return *b;
            throw bad();
        } else if constexpr (std::is_integral_v<T>) {
            std::int64_t i = 0;
            if (auto const* p = std::get_if<std::int64_t>(&c.value))
                i = *p;
            else if (auto const* d = std::get_if<double>(&c.value)) {
                if (!(std::isfinite(*d) && std::trunc(*d) == *d && std::abs(*d) < 9.2e18)) throw bad();
                i = std::int64_t(*d);
            } else
                throw bad();
            if (!std::in_range<T>(i))
                throw InvalidParameterError(
                    skystack::detail::msg("FITS keyword '", c.keyword, "' = ", i, " does not fit the requested type"));
            return T(i);
        } else if constexpr (std::is_floating_point_v<T>) {
            if (auto const* p = std::get_if<std::int64_t>(&c.value)) return T(*p);
            if (auto const* d = std::get_if<double>(&c.value)) return T(*d);
            throw bad();
        } else if constexpr (std::is_same_v<T, std::string>) {
            if (auto const* s = std::get_if<std::string>(&c.value)) return *s;
            throw bad();
        } else
            static_assert(sizeof(T) == 0, "Header::get: unsupported value type");
    }
};

} // namespace skystack::fits
