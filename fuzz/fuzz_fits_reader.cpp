// SPDX-License-Identifier: MIT
// libFuzzer target: every skystack FITS reader over an in-memory file. Readers may throw skystack::Error on bad
// input (that is their contract); anything else -- a crash, a sanitizer report, another exception -- is a bug.
#include <skystack/io/fits.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

using namespace skystack;

namespace {
constexpr std::int64_t max_pixels = std::int64_t(1) << 16; // keep allocations bounded, as a service would

template <class F>
void guarded(F&& f) {
    try {
        f();
    } catch (skystack::Error const&) {
        // rejected input: fine
    }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::span<std::byte const> const bytes(reinterpret_cast<std::byte const*>(data), size);
    for (int hdu = -1; hdu < 4; ++hdu) {
        guarded([&] { (void)fits::read_header(bytes, hdu < 0 ? 0 : hdu); });
        guarded([&] {
            auto const info = fits::image_info(bytes, hdu);
            fits::ReadOptions o{.hdu = hdu, .max_pixels = max_pixels};
            fits::Header meta;
            o.metadata = &meta;
            (void)fits::read_image<float>(bytes, o);
            (void)fits::read_image<std::int32_t>(bytes, o);
            // a sub-region in parent coordinates
            Box2I const sub = Box2I::from_min_size(info.bbox.min(), {(info.bbox.width() + 1) / 2, 1});
            o.bbox = sub;
            (void)fits::read_image<double>(bytes, o);
        });
        guarded([&] {
            (void)fits::read_mask(bytes,
                                  {.hdu = hdu, .planes = std::make_shared<MaskPlanes>(), .max_pixels = max_pixels});
        });
    }
    guarded([&] {
        fits::Header meta;
        (void)fits::read_masked_image<float>(
            bytes, {.planes = MaskPlanes::make_standard(), .metadata = &meta, .max_pixels = max_pixels});
    });
    return 0;
}
