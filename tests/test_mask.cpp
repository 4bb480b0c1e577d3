// SPDX-License-Identifier: MIT
#include <skystack/mask.hpp>
#include <skystack/mask_planes.hpp>

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

using namespace skystack;

namespace {

/// "<prefix><i>" built by appending: GCC 12 at -O3 gives a false -Wrestrict for `"A" + std::to_string(i)`
/// (std::string::insert into a fresh string, GCC bug 105329).
std::string numbered(char prefix, int i) {
    std::string s(1, prefix);
    s += std::to_string(i);
    return s;
}
Box2I box(int x0, int y0, int w, int h) { return Box2I::from_min_size({x0, y0}, {w, h}); }
std::shared_ptr<MaskPlanes> fresh() { return MaskPlanes::make_standard(); }
} // namespace

TEST_CASE("standard planes in afw's default order, upstream names and aliases") {
    auto p = fresh();
    CHECK(p->index("BAD") == 0);
    CHECK(p->index("SAT") == 1);
    CHECK(p->index("INTRP") == 2);
    CHECK(p->index("CR") == 3);
    CHECK(p->index("EDGE") == 4);
    CHECK(p->index("DETECTED") == 5);
    CHECK(p->index("DETECTED_NEGATIVE") == 6);
    CHECK(p->index("SUSPECT") == 7);
    CHECK(p->index("NO_DATA") == 8);
    // every standard plane of the issue is present
    for (char const* n : {"BAD", "CR", "CROSSTALK", "EDGE", "INTERPOLATED", "SATURATED", "SUSPECT", "UNMASKEDNAN",
                          "DETECTED", "DETECTED_NEGATIVE", "CLIPPED", "NO_DATA"})
        CHECK_MESSAGE(p->contains(n), n);
    // the long spellings are aliases of afw's short names
    CHECK(p->index("SATURATED") == 1);
    CHECK(p->index("INTERPOLATED") == 2);
    CHECK(p->bit_mask("SATURATED") == 0x2u);
    // on-demand planes are absent until added, and then get their description
    CHECK_FALSE(p->contains("REJECTED"));
    int const r = p->add("REJECTED");
    CHECK(p->description("REJECTED").find("rejected") != std::string::npos);
    CHECK(p->name_of(r) == std::optional<std::string>("REJECTED"));
    CHECK_FALSE(p->name_of(31).has_value());
    CHECK_THROWS_AS((void)p->name_of(32), InvalidParameterError);
    CHECK_THROWS_AS((void)p->name_of(-1), InvalidParameterError);
}

TEST_CASE("bit_mask by name and by list") {
    auto p = fresh();
    Mask m(box(0, 0, 2, 2), p);
    CHECK(m.bit_mask("BAD") == 0x1u);
    CHECK(m.bit_mask("CR") == 0x8u);
    CHECK(m.bit_mask({"CR", "BAD"}) == 0x9u);
    CHECK(m.bit_mask({"BAD", "SAT", "EDGE"}) == (1u | 2u | 16u));
    std::vector<std::string> names{"NO_DATA", "DETECTED"};
    CHECK(m.bit_mask(names) == ((1u << 8) | (1u << 5)));
    CHECK(m.plane_index("EDGE") == 4);
    CHECK_THROWS_AS((void)m.bit_mask("NOPE"), NotFoundError);
    CHECK_THROWS_WITH_AS((void)m.bit_mask({"BAD", "NOPE"}), doctest::Contains("NOPE"), NotFoundError);
    CHECK_THROWS_AS((void)m.plane_index("NOPE"), NotFoundError);
    CHECK(m.describe(0x9u) == "BAD,CR");
    CHECK(m.describe(1u << 31) == "bit31");
    CHECK(m.describe(0) == "");
}

TEST_CASE("describe lists plane names in name order, as afw's interpret") {
    Mask m(Extent2I{1, 1});
    // BAD is bit 0, SAT bit 1, EDGE bit 4: bit order would give "BAD,SAT,EDGE"
    MaskPixel const v = m.bit_mask({"SAT", "EDGE", "BAD"});
    CHECK(m.describe(v) == "BAD,EDGE,SAT");
    CHECK(m.describe(m.bit_mask("DETECTED") | m.bit_mask("CR")) == "CR,DETECTED");
    CHECK(m.describe(m.bit_mask("SAT") | (1u << 31) | (1u << 30)) == "SAT,bit30,bit31");
}

TEST_CASE("registry sequence: add returns the existing or the lowest free index, remove frees it") {
    auto p = std::make_shared<MaskPlanes>(); // empty registry
    CHECK(p->size() == 0u);
    CHECK(p->add("A") == 0);
    CHECK(p->add("B") == 1);
    CHECK(p->add("C") == 2);
    CHECK(p->add("B") == 1); // known name keeps its index
    p->remove("B");
    CHECK_FALSE(p->contains("B"));
    CHECK(p->add("D") == 1); // the gap is reused (lowest unused index)
    CHECK(p->add("E") == 3);
    p->remove("A");
    CHECK(p->add("B") == 0);
    CHECK(p->all_bits() == 0xFu);
    CHECK_THROWS_AS(p->remove("NOPE"), NotFoundError);
    CHECK_THROWS_AS((void)p->add(""), InvalidParameterError);
    auto planes = p->planes();
    REQUIRE(planes.size() == 4u);
    CHECK(planes[0].name == "B");
    CHECK(planes[0].bit() == 1u);
    CHECK(planes[3].name == "E");
}

TEST_CASE("running out of bits throws") {
    auto p = std::make_shared<MaskPlanes>();
    for (int i = 0; i < 32; ++i) CHECK(p->add(numbered('P', i)) == i);
    CHECK(p->all_bits() == 0xFFFFFFFFu);
    CHECK_THROWS_AS((void)p->add("ONE_TOO_MANY"), LengthError);
    CHECK_THROWS_WITH_AS((void)p->add("X"), doctest::Contains("32"), LengthError);
    CHECK(p->add("P7") == 7); // a known name still works when full
    Mask m(box(0, 0, 1, 1), p);
    CHECK_THROWS_AS((void)m.add_plane("Y"), LengthError);
    p->remove("P20");
    CHECK(m.add_plane("Y") == 20);
}

TEST_CASE("masks share the default registry, as afw") {
    Mask a(box(0, 0, 2, 2));
    Mask b(Extent2I{3, 3});
    CHECK(&a.planes() == &b.planes());
    CHECK(a.planes_ptr() == MaskPlanes::shared_default());
    std::string const name = "TEST_SHARED_PLANE_ADDED_BY_A";
    int const i = a.add_plane(name, "added through a");
    CHECK(b.plane_index(name) == i); // visible through every mask sharing the registry
    CHECK(b.bit_mask(name) == (MaskPixel(1) << i));
    MaskPlanes::shared_default()->remove(name); // leave the process-wide registry as we found it
    CHECK_FALSE(b.planes().contains(name));
    // copies share the registry of their source
    Mask c = a.clone();
    CHECK(c.planes_ptr() == a.planes_ptr());
    CHECK_THROWS_AS(Mask(box(0, 0, 1, 1), nullptr), InvalidParameterError);
}

TEST_CASE("mask views: subimage shares pixels and registry, clone is independent") {
    auto p = fresh();
    Mask m(box(10, 10, 4, 4), p);
    MaskView sub = m.subimage(box(11, 11, 2, 2));
    CHECK(sub.xy0() == Point2I{11, 11});
    CHECK(&sub.planes() == p.get());
    sub(0, 0) = m.bit_mask("CR");
    CHECK(m(1, 1) == 0x8u);
    ConstMaskView csub = sub;
    CHECK(csub.bit_mask("CR") == 0x8u);
    CHECK(csub.describe(csub(0, 0)) == "CR");
    Mask c = sub.clone();
    CHECK(c.bbox() == box(11, 11, 2, 2));
    CHECK(c.planes_ptr() == p);
    c(0, 0) = 0;
    CHECK(m(1, 1) == 0x8u);
    Mask const& cm = m;
    ConstMaskView cv = cm.subimage(box(10, 10, 1, 1));
    CHECK(cv(0, 0) == 0u);
    Mask filled(box(0, 0, 2, 1), 0x5u, p);
    CHECK(filled(1, 0) == 0x5u);
}

TEST_CASE("clear_plane and remove_and_clear_plane") {
    auto p = fresh();
    Mask m(box(0, 0, 3, 1), p);
    Mask other(box(0, 0, 3, 1), p);
    MaskPixel const cr = m.bit_mask("CR"), bad = m.bit_mask("BAD");
    m(0, 0) = cr | bad;
    m(1, 0) = cr;
    m(2, 0) = bad;
    other(0, 0) = cr;
    m.clear_plane("BAD");
    CHECK(m(0, 0) == cr);
    CHECK(m(2, 0) == 0u);
    CHECK(m.plane_index("BAD") == 0); // clearing keeps the plane
    m(2, 0) = bad;

    // afw removeAndClearMaskPlane(name): this mask's bits are cleared and this mask alone loses the name
    m.remove_and_clear_plane("CR");
    CHECK(m(0, 0) == 0u);
    CHECK(m(1, 0) == 0u);
    CHECK(m(2, 0) == bad); // other planes untouched
    CHECK_FALSE(m.planes().contains("CR"));
    CHECK(m.planes_ptr() != p); // detached onto its own copy
    CHECK(p->index("CR") == 3); // the shared registry still has CR
    CHECK(other(0, 0) == cr);   // other masks keep their bits and the name
    CHECK_THROWS_AS(m.remove_and_clear_plane("CR"), NotFoundError);
    CHECK_THROWS_AS(m.clear_plane("CR"), NotFoundError);

    // remove_from_shared: the shared registry itself loses the plane
    Mask n(box(0, 0, 1, 1), p);
    n(0, 0) = cr;
    n.remove_and_clear_plane("CR", true);
    CHECK(n.planes_ptr() == p);
    CHECK_FALSE(p->contains("CR"));
    CHECK(n(0, 0) == 0u);

    // remove_plane drops the name from the shared registry but leaves pixels alone
    Mask q(box(0, 0, 1, 1), p);
    q(0, 0) = q.bit_mask("EDGE");
    q.remove_plane("EDGE");
    CHECK_FALSE(other.planes().contains("EDGE"));
    CHECK(q(0, 0) == 0x10u);
    CHECK(q.describe(q(0, 0)) == "bit4");
}

TEST_CASE("conform_to permutes bits onto another registry, adding missing planes") {
    auto mine = std::make_shared<MaskPlanes>();
    mine->add("CR");       // 0
    mine->add("BAD");      // 1
    mine->add("MY_PLANE"); // 2
    auto target = fresh(); // BAD 0, ..., CR 3, ...
    Mask m(box(0, 0, 4, 1), mine);
    m(0, 0) = 0x1u;         // CR
    m(1, 0) = 0x2u;         // BAD
    m(2, 0) = 0x3u;         // CR | BAD
    m(3, 0) = 0x4u | 0x80u; // MY_PLANE | an unnamed bit 7
    std::size_t const before = target->size();
    m.conform_to(target);
    CHECK(m.planes_ptr() == target);
    int const my = target->index("MY_PLANE"); // added at the lowest free index of target
    CHECK(target->size() == before + 1);
    CHECK(my == int(before));
    CHECK(m(0, 0) == 0x8u); // CR is bit 3 in target
    CHECK(m(1, 0) == 0x1u); // BAD is bit 0
    CHECK(m(2, 0) == 0x9u);
    CHECK(m(3, 0) == (MaskPixel(1) << my)); // unnamed bits are dropped, never mis-mapped
    CHECK_THROWS_AS(m.conform_to(std::shared_ptr<MaskPlanes>{}), InvalidParameterError);

    // same layout: nothing is permuted, the registry is just shared
    auto copy = std::make_shared<MaskPlanes>(*target);
    Mask k(box(0, 0, 1, 1), copy);
    k(0, 0) = 0x8u;
    k.conform_to(m);
    CHECK(k.planes_ptr() == target);
    CHECK(k(0, 0) == 0x8u);

    // conforming onto a full registry throws
    auto full = std::make_shared<MaskPlanes>();
    for (int i = 0; i < 32; ++i) full->add(numbered('F', i));
    Mask z(box(0, 0, 1, 1), mine);
    CHECK_THROWS_AS(z.conform_to(full), LengthError);
}

TEST_CASE("bitwise operators between masks need the same size and layout") {
    auto p = fresh();
    Mask a(box(0, 0, 3, 1), p), b(box(5, 5, 3, 1), p); // xy0 may differ
    a(0, 0) = 0x1u;
    a(1, 0) = 0x3u;
    a(2, 0) = 0x6u;
    b(0, 0) = 0x2u;
    b(1, 0) = 0x1u;
    b(2, 0) = 0x4u;
    Mask o = a.clone();
    o |= b;
    CHECK(o(0, 0) == 0x3u);
    CHECK(o(1, 0) == 0x3u);
    CHECK(o(2, 0) == 0x6u);
    Mask n = a.clone();
    n &= b;
    CHECK(n(0, 0) == 0x0u);
    CHECK(n(1, 0) == 0x1u);
    CHECK(n(2, 0) == 0x4u);
    Mask x = a.clone();
    x ^= b;
    CHECK(x(0, 0) == 0x3u);
    CHECK(x(1, 0) == 0x2u);
    CHECK(x(2, 0) == 0x2u);
    // with a scalar
    Mask s = a.clone();
    s |= 0x10u;
    CHECK(s(0, 0) == 0x11u);
    s &= ~0x1u;
    CHECK(s(0, 0) == 0x10u);
    CHECK(s(1, 0) == 0x12u);
    s ^= 0x12u;
    CHECK(s(1, 0) == 0x0u);
    // on views: writes through to the parent
    Mask big(box(0, 0, 4, 2), p);
    big.subimage(box(1, 1, 3, 1)) |= b;
    CHECK(big(1, 1) == 0x2u);
    CHECK(big(3, 1) == 0x4u);
    CHECK(big(0, 1) == 0x0u);
    big.subimage(box(0, 0, 2, 1)) |= 0x8u;
    CHECK(big(1, 0) == 0x8u);
    CHECK(big(2, 0) == 0x0u);

    Mask wrong_size(box(0, 0, 2, 1), p);
    CHECK_THROWS_AS(a |= wrong_size, LengthError);
    CHECK_THROWS_AS(a &= wrong_size, LengthError);
    CHECK_THROWS_AS(a ^= wrong_size, LengthError);
    auto other_layout = std::make_shared<MaskPlanes>();
    other_layout->add("CR");
    Mask alien(box(0, 0, 3, 1), other_layout);
    CHECK_THROWS_AS(a |= alien, InvalidParameterError);
    CHECK_THROWS_WITH_AS(a &= alien, doctest::Contains("conform"), InvalidParameterError);
    CHECK(a(1, 0) == 0x3u); // nothing written on failure
    alien.conform_to(p);
    CHECK_NOTHROW(a |= alien);
    // a different registry object with the same layout is accepted
    Mask twin(box(0, 0, 3, 1), std::make_shared<MaskPlanes>(*p));
    CHECK_NOTHROW(a |= twin);
}

TEST_CASE("overlapping mask operands read the old pixels") {
    auto p = fresh();
    Mask m(box(0, 0, 4, 1), p);
    m(0, 0) = 1u;
    m.subimage(box(1, 0, 3, 1)) |= m.subimage(box(0, 0, 3, 1)); // shift-or by one
    CHECK(m(1, 0) == 1u);
    CHECK(m(2, 0) == 0u); // not smeared
    m |= m;
    CHECK(m(0, 0) == 1u);
}

TEST_CASE("mask assign checks the layout; raw pixel assign copies bits as they are") {
    auto p = fresh();
    Mask a(box(0, 0, 2, 1), p), b(box(0, 0, 2, 1), p);
    b(1, 0) = 0x8u;
    a.assign(b);
    CHECK(a(1, 0) == 0x8u);
    auto other = std::make_shared<MaskPlanes>();
    Mask alien(box(0, 0, 2, 1), other);
    CHECK_THROWS_AS(a.assign(alien), InvalidParameterError);
    CHECK_THROWS_AS(a.assign(Mask(box(0, 0, 3, 1), p)), LengthError);
    CHECK_THROWS_AS(a.view().assign(alien.cview()), InvalidParameterError);
    Image<MaskPixel> raw(box(0, 0, 2, 1), 0x5u);
    a.assign(raw.cview()); // plain pixels: no registry to check
    CHECK(a(0, 0) == 0x5u);
}

#include <thread>

TEST_CASE("concurrent additions to one registry get distinct bits") {
    auto p = std::make_shared<MaskPlanes>();
    std::vector<int> got_a(8), got_b(8);
    std::thread ta([&] {
        for (int i = 0; i < 8; ++i) got_a[std::size_t(i)] = p->add(numbered('A', i));
    });
    std::thread tb([&] {
        for (int i = 0; i < 8; ++i) got_b[std::size_t(i)] = p->add(numbered('B', i));
    });
    ta.join();
    tb.join();
    MaskPixel seen = 0;
    for (int i : got_a) seen |= MaskPixel(1) << i;
    for (int i : got_b) seen |= MaskPixel(1) << i;
    CHECK(seen == 0xFFFFu); // 16 names, 16 distinct bits, the lowest ones
    CHECK(p->size() == 16u);
}

TEST_CASE("aliases are stored under afw's names") {
    auto p = std::make_shared<MaskPlanes>();
    CHECK(p->add("SATURATED") == 0);
    CHECK(p->add("SAT") == 0);
    CHECK(p->planes()[0].name == "SAT");
    CHECK(p->add("INTERPOLATED") == 1);
    CHECK(p->index("INTRP") == 1);
}
