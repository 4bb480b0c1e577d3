// SPDX-License-Identifier: MIT
// Writing your own stacking policies: a combine policy needs only a scalar path; a batch (xsimd) path and a
// rejection policy are optional. The stacker handles masks, weights, scaling, tiling, threads and the output
// mask/variance the same way as for the built-in policies.
#include <skystack/stack/stacker.hpp>

#include <algorithm>
#include <cstdio>
#include <span>
#include <vector>

using namespace skystack;

//! [combine policy]
/// Mid-range (min + max) / 2 of the accepted samples. `v` holds only accepted samples (masked, NaN and rejected
/// ones are already gone) and is never empty; the policy may reorder it.
struct MidRange {
    static constexpr std::string_view name = "midrange";
    static constexpr bool weighted = false; // every input weight is 1 (no default 1/variance weights)
    template <class T>
    T scalar(std::span<T> v, std::span<T const> /*w*/) const noexcept {
        auto const [lo, hi] = std::minmax_element(v.begin(), v.end());
        return (*lo + *hi) / 2;
    }
};
static_assert(ScalarCombine<MidRange, float>);
//! [combine policy]

//! [reject policy]
/// Min/max rejection: drop the lowest and the highest sample when at least 3 are left (IRAF minmax, nlow = nhigh
/// = 1). Kept samples go to the front of all three spans; return how many are kept. Rejected samples set the
/// CLIPPED plane of the output pixel.
struct MinMaxReject {
    template <class T>
    std::size_t scalar(std::span<T> v, std::span<T> w, std::span<T> var, ClipParams) const noexcept {
        if (v.size() < 3) return v.size();
        auto swap_to_back = [&](std::size_t i, std::size_t back) {
            std::swap(v[i], v[back]);
            std::swap(w[i], w[back]);
            std::swap(var[i], var[back]);
        };
        std::size_t n = v.size();
        swap_to_back(std::size_t(std::max_element(v.begin(), v.begin() + n) - v.begin()), n - 1);
        --n;
        swap_to_back(std::size_t(std::min_element(v.begin(), v.begin() + n) - v.begin()), n - 1);
        return n - 1;
    }
};
static_assert(ScalarReject<MinMaxReject, float>);
//! [reject policy]

int main() {
    std::vector<MaskedImageF> frames;
    float const values[] = {10.f, 12.f, 11.f, 50.f, 9.f};
    for (float v : values) {
        MaskedImageF f(Extent2I{8, 8});
        f.image().view().fill(v);
        f.variance().view().fill(1.f);
        frames.push_back(std::move(f));
    }
    std::vector<MaskedImageView<float const>> inputs(frames.begin(), frames.end());
    Box2I const box = frames[0].bbox();

    //! [use]
    auto mid = Stacker<MidRange>()(inputs, box);               // (9 + 50) / 2 = 29.5
    auto trimmed = Stacker<Mean, MinMaxReject>()(inputs, box); // mean of {10, 12, 11} = 11, CLIPPED set
    //! [use]
    auto const& m = trimmed.coadd.mask();
    std::printf("midrange %.2f, min/max-rejected mean %.2f (mask %s)\n", mid.coadd.image()(0, 0),
                trimmed.coadd.image()(0, 0), m.describe(m(0, 0)).c_str());
    bool const ok = mid.coadd.image()(0, 0) == 29.5f && trimmed.coadd.image()(0, 0) == 11.f &&
                    (m(0, 0) & m.bit_mask("CLIPPED")) != 0;
    return ok ? 0 : 1;
}
