/**
 * Windowing of long lists (the Freight timeline with hundreds of Freight): which items to put in
 * the DOM for a scroll position, so the page stays smooth however many there are. Pure, so it is
 * tested under Node; `app/Windowed.tsx` measures the scroll box and renders the window.
 */

/** A list of equal-sized items laid out along one axis, and the part of it in view. */
export interface WindowInput {
  /** How many items the list holds. */
  count: number;
  /** An item's size along the axis, gap included, in CSS pixels (more than 0). */
  itemSize: number;
  /** How far the box is scrolled, in CSS pixels. */
  offset: number;
  /** The size of the box's visible part along the axis, in CSS pixels. */
  viewport: number;
  /** Items to render beyond each edge of the view, so fast scrolling shows no gap. */
  overscan: number;
}

/** The items to render: `[start, end)`, and the empty space before and after them. */
export interface WindowRange {
  start: number;
  end: number;
  /** Pixels of spacer before the first rendered item. */
  before: number;
  /** Pixels of spacer after the last rendered item. */
  after: number;
}

/**
 * The window of a list for a scroll position. An offset past the end (the list shrank under the
 * scroll position) shows the last items; a box not measured yet (viewport 0) still renders the
 * first `overscan` items, so the first paint is not empty.
 */
export function visibleRange(input: WindowInput): WindowRange {
  const { count, itemSize, overscan } = input;
  if (!(itemSize > 0)) throw new RangeError(`itemSize must be more than 0, got ${itemSize}`);
  if (count <= 0) return { start: 0, end: 0, before: 0, after: 0 };
  const viewport = Math.max(0, input.viewport);
  const maxOffset = Math.max(0, count * itemSize - viewport);
  const offset = Math.min(Math.max(0, input.offset), maxOffset);
  const first = Math.floor(offset / itemSize);
  const last = Math.ceil((offset + viewport) / itemSize);
  const start = Math.max(0, first - overscan);
  const end = Math.min(count, Math.max(last + overscan, start + overscan));
  return { start, end, before: start * itemSize, after: (count - end) * itemSize };
}
