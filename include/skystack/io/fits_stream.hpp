// SPDX-License-Identifier: MIT
// Open-once band reading of many FITS masked images: a bounded pool of open cfitsio handles (least recently used
// closed first) and a reader that fills one row band of every input.
#pragma once

#include <skystack/detail/cfitsio_handle.hpp>
#include <skystack/error.hpp>
#include <skystack/io/fits.hpp>
#include <skystack/masked_image.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace skystack::fits {

/// A pool of at most `capacity` open read-only handles for a fixed list of files. A handle is lent to one thread
/// at a time (acquire/release); idle handles stay open and the least recently used idle one is closed when a new
/// file must be opened and the pool is full. Thread-safe.
class HandlePool {
    std::vector<std::filesystem::path> m_paths;
    std::vector<std::optional<skystack::detail::FitsHandle>> m_idle; // open, not lent
    std::list<std::size_t> m_lru;                                    // idle open handles, oldest first
    std::vector<std::list<std::size_t>::iterator> m_pos;
    std::vector<bool> m_in_lru;
    std::size_t m_capacity;
    std::size_t m_open = 0; // idle + lent
    std::mutex m_mutex;

public:
    /// A lent handle; give it back with release().
    using Lease = skystack::detail::FitsHandle;

    /// @param capacity most handles open at once; 0 = a quarter of the soft RLIMIT_NOFILE (at least 4).
    /// @throws InvalidParameterError for an empty file list.
    explicit HandlePool(std::vector<std::filesystem::path> paths, std::size_t capacity = 0)
        : m_paths(std::move(paths)), m_idle(m_paths.size()), m_pos(m_paths.size()), m_in_lru(m_paths.size(), false),
          m_capacity(capacity ? capacity : default_capacity()) {
        if (m_paths.empty()) throw InvalidParameterError("HandlePool: no files");
    }
    HandlePool(HandlePool const&) = delete;
    HandlePool& operator=(HandlePool const&) = delete;

    /// A quarter of the process's soft open-file limit, at least 4 (cfitsio and the caller need the rest).
    static std::size_t default_capacity() noexcept {
        rlimit rl{};
        if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 256;
        return std::max<std::size_t>(4, std::size_t(rl.rlim_cur) / 4);
    }
    [[nodiscard]] std::size_t size() const noexcept { return m_paths.size(); }
    [[nodiscard]] std::size_t capacity() const noexcept { return m_capacity; }
    [[nodiscard]] std::filesystem::path const& path(std::size_t k) const { return m_paths.at(k); }

    /// Borrow file k's handle (opening it, after closing the oldest idle one if the pool is full).
    /// @throws FitsError when the file cannot be opened; LengthError when every handle is lent and the pool is full.
    Lease acquire(std::size_t k) {
        std::optional<skystack::detail::FitsHandle> victim;
        {
            std::lock_guard lock(m_mutex);
            if (m_idle.at(k)) {
                m_lru.erase(m_pos[k]);
                m_in_lru[k] = false;
                Lease h = std::move(*m_idle[k]);
                m_idle[k].reset();
                return h;
            }
            if (m_open >= m_capacity) {
                if (m_lru.empty())
                    throw LengthError(skystack::detail::msg("HandlePool: all ", m_capacity,
                                                            " handles are in use; cannot open ", m_paths[k].string()));
                std::size_t const old = m_lru.front();
                m_lru.pop_front();
                m_in_lru[old] = false;
                victim = std::move(m_idle[old]);
                m_idle[old].reset();
                --m_open;
            }
            ++m_open; // reserved for k
        }
        victim.reset(); // close outside the lock
        try {
            return skystack::detail::FitsHandle::open_read(m_paths[k]);
        } catch (...) {
            std::lock_guard lock(m_mutex);
            --m_open;
            throw;
        }
    }

    /// Give file k's handle back (it stays open until it is the oldest idle one and a slot is needed).
    void release(std::size_t k, Lease h) {
        std::lock_guard lock(m_mutex);
        m_idle.at(k) = std::move(h);
        m_lru.push_back(k);
        m_pos[k] = std::prev(m_lru.end());
        m_in_lru[k] = true;
    }
};

/// Read `region` (parent coordinates, inside the image) of input k through the pool, with the same HDU layout
/// logic as read_masked_image. The handle goes back to the pool even when the read throws.
template <class T>
MaskedImage<T> read_band(HandlePool& pool, std::size_t k, Box2I region, std::shared_ptr<MaskPlanes> planes) {
    auto h = pool.acquire(k);
    struct Back {
        HandlePool& p;
        std::size_t k;
        skystack::detail::FitsHandle& h;
        ~Back() { p.release(k, std::move(h)); }
    } back{pool, k, h};
    ReadOptions o;
    o.bbox = region;
    o.planes = std::move(planes);
    return detail::read_masked_image<T, float>(h, o);
}

/// The parent bbox of input k's image HDU (the HDU read_masked_image reads), without reading pixels.
inline Box2I image_bbox(HandlePool& pool, std::size_t k) {
    auto h = pool.acquire(k);
    struct Back {
        HandlePool& p;
        std::size_t k;
        skystack::detail::FitsHandle& h;
        ~Back() { p.release(k, std::move(h)); }
    } back{pool, k, h};
    int ih = -1;
    auto const names = detail::extnames(h);
    for (int i = 0; i < int(names.size()); ++i)
        if (detail::iequals(names[std::size_t(i)], "IMAGE")) {
            ih = i;
            break;
        }
    if (ih < 0) ih = detail::pick_hdu(h, -1, "IMAGE");
    h.move_to(ih);
    return detail::current_image_info(h).bbox;
}

} // namespace skystack::fits
