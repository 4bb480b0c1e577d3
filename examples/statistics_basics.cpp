// SPDX-License-Identifier: MIT
// statistics() on a masked image: plain, masked, clipped and weighted statistics (docs/statistics.md).
#include <skystack/statistics/statistics.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace skystack;

int main() {
    //! [statistics_basics]
    MaskedImage<float> mi(Extent2I{64, 64});
    auto const bad = mi.mask().bit_mask({"BAD", "CR"}); // look mask bits up once
    for (int y = 0; y < 64; ++y)
        for (int x = 0; x < 64; ++x) {
            mi.image()(x, y) = 100.0f + float((x * 7 + y * 3) % 11) - 5.0f; // sky 100 +- 5
            mi.variance()(x, y) = 4.0f;
        }
    mi.image()(10, 10) = 5000.0f; // a cosmic ray, flagged CR
    mi.mask()(10, 10) = mi.mask().bit_mask("CR");
    mi.image()(20, 30) = 3000.0f; // an unflagged one: clipping removes it

    // afw defaults: 3 sigma, 3 iterations, no bad_mask, NaN-safe
    auto s =
        statistics(mi, Stat::Mean | Stat::Median | Stat::MeanClip | Stat::NClipped | Stat::Errors, {.bad_mask = bad});
    double const mean = s.value(Stat::Mean);        // includes the unflagged outlier
    double const clipped = s.value(Stat::MeanClip); // does not
    Measurement const med = s.get(Stat::Median);    // value and error

    // inverse-variance weights and the ORMASK of the accepted pixels
    auto w = statistics(mi, Stat::Mean | Stat::OrMask, {.bad_mask = 0, .weighted = true});
    //! [statistics_basics]

    std::printf("mean %.4f  median %.4f +- %.4f  meanclip %.4f  nclipped %g  or_mask 0x%x\n", mean, med.value,
                med.error, clipped, s.value(Stat::NClipped), unsigned(w.or_mask()));
    bool const ok = std::abs(clipped - 100.0) < 0.5 && mean > clipped && s.value(Stat::NClipped) >= 1 &&
                    w.or_mask() == mi.mask().bit_mask("CR") && std::abs(med.value - 100.0) < 1.0;
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
