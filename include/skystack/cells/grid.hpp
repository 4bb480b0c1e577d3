// SPDX-License-Identifier: MIT
// The geometry of a cell-based coadd (lsst/cell_coadds UniformGrid plus the skymap's cell border): a patch is a
// regular grid of cells; each cell has an inner box (the cells' inner boxes tile the grid without overlap) and an
// outer box, the inner box dilated by the border, over which the cell is stacked.
#pragma once

#include <skystack/error.hpp>
#include <skystack/geom/box.hpp>
#include <skystack/geom/point.hpp>

#include <compare>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <vector>

namespace skystack {

/// The (x, y) index of a cell in its grid: x counts columns, y rows, both from 0 at the grid's minimum corner.
struct CellIndex {
    int x = 0;
    int y = 0;
    friend constexpr auto operator<=>(CellIndex, CellIndex) noexcept = default;
    friend std::ostream& operator<<(std::ostream& os, CellIndex i) { return os << "(" << i.x << ", " << i.y << ")"; }
};

/// A regular grid of cells over a patch (lsst.cell_coadds UniformGrid, with the border of the skymap's cell
/// builder).
///
/// - Cell (i, j) has the inner box `[min + (i·w, j·h), +(w, h))`; the inner boxes are disjoint, adjacent and tile
///   `bbox()`. Its outer box is the inner box dilated by `border()` on every side, so neighbouring outer boxes
///   overlap by 2·border; the outer boxes of edge cells reach `border()` pixels beyond the grid (into the patch's
///   padding), which `outer_bbox()` covers.
/// - `from_bbox_cell_size` requires the cell size to divide the box, as upstream; `covering` accepts any box and
///   makes the last column and row of cells narrower (their inner boxes are clipped to the box; their outer boxes
///   are the clipped inner boxes dilated by the border).
class CellGrid {
    Box2I m_bbox{};
    Extent2I m_cell{};
    Extent2I m_shape{};
    int m_border = 0;

    CellGrid(Box2I bbox, Extent2I cell, Extent2I shape, int border) noexcept
        : m_bbox(bbox), m_cell(cell), m_shape(shape), m_border(border) {}

    static void check(Box2I bbox, Extent2I cell, int border, char const* who) {
        if (bbox.empty()) throw InvalidParameterError(detail::msg(who, ": the grid bbox is empty"));
        if (cell.x <= 0 || cell.y <= 0)
            throw InvalidParameterError(detail::msg(who, ": the cell size must be positive, got ", cell));
        if (border < 0) throw InvalidParameterError(detail::msg(who, ": the border must be >= 0, got ", border));
    }

public:
    CellGrid() = default;

    /// The grid of `cell`-sized cells tiling `bbox` exactly (upstream UniformGrid.from_bbox_cell_size).
    /// @throws InvalidParameterError for an empty box, a non-positive cell size or a negative border;
    ///         LengthError when the cell size does not divide the box's width or height.
    static CellGrid from_bbox_cell_size(Box2I bbox, Extent2I cell, int border = 0) {
        check(bbox, cell, border, "CellGrid::from_bbox_cell_size");
        if (bbox.width() % cell.x != 0 || bbox.height() % cell.y != 0)
            throw LengthError(detail::msg("CellGrid::from_bbox_cell_size: cell size ", cell,
                                          " does not divide the grid bbox ", bbox, " (", bbox.width(), " x ",
                                          bbox.height(), " pixels); use CellGrid::covering for partial edge cells"));
        return CellGrid(bbox, cell, {bbox.width() / cell.x, bbox.height() / cell.y}, border);
    }

    /// The grid of `cell`-sized cells starting at `bbox.min()` and covering `bbox`; when the cell size does not
    /// divide the box, the last column/row of cells is narrower (clipped to the box).
    /// @throws InvalidParameterError for an empty box, a non-positive cell size or a negative border.
    static CellGrid covering(Box2I bbox, Extent2I cell, int border = 0) {
        check(bbox, cell, border, "CellGrid::covering");
        return CellGrid(bbox, cell, {(bbox.width() + cell.x - 1) / cell.x, (bbox.height() + cell.y - 1) / cell.y},
                        border);
    }

    /// The box the inner boxes tile.
    [[nodiscard]] Box2I bbox() const noexcept { return m_bbox; }
    /// bbox() dilated by the border: what the inputs should cover so that every cell's outer box has data.
    [[nodiscard]] Box2I outer_bbox() const { return m_bbox.dilated_by(m_border); }
    /// The nominal cell (inner) size.
    [[nodiscard]] Extent2I cell_size() const noexcept { return m_cell; }
    /// Number of cells along x and y.
    [[nodiscard]] Extent2I shape() const noexcept { return m_shape; }
    [[nodiscard]] int border() const noexcept { return m_border; }
    /// Number of cells.
    [[nodiscard]] std::size_t size() const noexcept { return std::size_t(m_shape.x) * std::size_t(m_shape.y); }

    [[nodiscard]] bool contains(CellIndex i) const noexcept {
        return i.x >= 0 && i.y >= 0 && i.x < m_shape.x && i.y < m_shape.y;
    }

    /// Row-major position of a cell (0 … size()−1) and back.
    [[nodiscard]] std::size_t flat(CellIndex i) const {
        require(i);
        return std::size_t(i.y) * std::size_t(m_shape.x) + std::size_t(i.x);
    }
    [[nodiscard]] CellIndex unflat(std::size_t k) const {
        if (k >= size())
            throw InvalidParameterError(
                detail::msg("CellGrid: flat index ", k, " outside a grid of ", size(), " cells"));
        return {int(k % std::size_t(m_shape.x)), int(k / std::size_t(m_shape.x))};
    }

    /// The inner box of cell `i` (clipped to bbox() for the partial cells of a `covering` grid).
    /// @throws InvalidParameterError for an index outside the grid.
    [[nodiscard]] Box2I inner_bbox(CellIndex i) const {
        require(i);
        return Box2I::from_min_size({m_bbox.min_x() + i.x * m_cell.x, m_bbox.min_y() + i.y * m_cell.y}, m_cell)
            .clipped_to(m_bbox);
    }
    /// The outer box of cell `i`: its inner box dilated by the border.
    [[nodiscard]] Box2I outer_bbox(CellIndex i) const { return inner_bbox(i).dilated_by(m_border); }

    /// The cell whose inner box holds `p` (parent coordinates). Points in the border region outside bbox() but
    /// inside outer_bbox() belong to the nearest edge cell, as upstream clamps indices there.
    /// @throws InvalidParameterError for a point outside outer_bbox().
    [[nodiscard]] CellIndex index(Point2I p) const {
        if (!outer_bbox().contains(p))
            throw InvalidParameterError(
                detail::msg("CellGrid::index: point ", p, " is outside the grid's outer bbox ", outer_bbox()));
        auto clamp = [](std::int64_t v, int hi) { return int(v < 0 ? 0 : v > hi ? hi : v); };
        std::int64_t const dx = std::int64_t(p.x) - m_bbox.min_x(), dy = std::int64_t(p.y) - m_bbox.min_y();
        auto floordiv = [](std::int64_t a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); };
        return {clamp(floordiv(dx, m_cell.x), m_shape.x - 1), clamp(floordiv(dy, m_cell.y), m_shape.y - 1)};
    }

    /// Every cell index, row-major (y outer, x inner).
    [[nodiscard]] std::vector<CellIndex> indices() const {
        std::vector<CellIndex> out;
        out.reserve(size());
        for (int y = 0; y < m_shape.y; ++y)
            for (int x = 0; x < m_shape.x; ++x) out.push_back({x, y});
        return out;
    }

    /// The cells whose inner box overlaps `box` (parent coordinates), row-major.
    [[nodiscard]] std::vector<CellIndex> overlapping(Box2I box) const {
        std::vector<CellIndex> out;
        Box2I const b = box.clipped_to(m_bbox);
        if (b.empty()) return out;
        CellIndex const lo = index(b.min()), hi = index(b.max());
        for (int y = lo.y; y <= hi.y; ++y)
            for (int x = lo.x; x <= hi.x; ++x) out.push_back({x, y});
        return out;
    }

    friend bool operator==(CellGrid const& a, CellGrid const& b) noexcept {
        return a.m_bbox == b.m_bbox && a.m_cell == b.m_cell && a.m_shape == b.m_shape && a.m_border == b.m_border;
    }

private:
    void require(CellIndex i) const {
        if (!contains(i))
            throw InvalidParameterError(
                detail::msg("CellGrid: cell index ", i, " outside a grid of ", m_shape, " cells"));
    }
};

} // namespace skystack
