// SPDX-License-Identifier: MIT
#pragma once

#include <skystack/config.hpp>
#include <skystack/error.hpp>

#include <cstddef>
#include <limits>
#include <memory>
#include <new>
#include <type_traits>

namespace skystack::detail {

struct AlignedDelete {
    void operator()(void* p) const noexcept { ::operator delete (p, std::align_val_t{image_alignment}); }
};

/// Owning, image_alignment-aligned, value-initialised array of trivially copyable T. Move-only; views borrow
/// from it and must not outlive it.
template <class T>
class AlignedBuffer {
    static_assert(std::is_trivially_copyable_v<T>);
    std::unique_ptr<T, AlignedDelete> m_data;
    std::size_t m_size = 0;

public:
    AlignedBuffer() noexcept = default;
    explicit AlignedBuffer(std::size_t n) : m_size(n) {
        if (n == 0) return;
        if (n > std::numeric_limits<std::size_t>::max() / sizeof(T))
            throw LengthError(detail::msg("AlignedBuffer: ", n, " elements overflow size_t"));
        void* p = ::operator new (n * sizeof(T), std::align_val_t{image_alignment});
        m_data.reset(static_cast<T*>(p));
        std::uninitialized_value_construct_n(m_data.get(), n);
    }
    AlignedBuffer(AlignedBuffer&&) noexcept = default;
    AlignedBuffer& operator=(AlignedBuffer&&) noexcept = default;

    [[nodiscard]] T* data() noexcept { return m_data.get(); }
    [[nodiscard]] T const* data() const noexcept { return m_data.get(); }
    [[nodiscard]] std::size_t size() const noexcept { return m_size; }
};

} // namespace skystack::detail
