/**
 * The Freight timeline, newest first, windowed: only the chips in view (and a few either side) are
 * in the DOM, so a Project with hundreds of Freight scrolls and updates as smoothly as one with
 * three. Chips have a fixed width for that; `src/window.ts` does the arithmetic.
 */
import type { Freight, Stage } from '@ferry/contracts';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { freightTag, stagesHolding } from '../src/model.ts';
import { visibleRange } from '../src/window.ts';

/** A chip's width plus the space after it, in CSS pixels (`.chip-slot` in styles.css). */
export const CHIP_SLOT = 176;
/** Chips rendered beyond each edge of the view. */
const OVERSCAN = 6;

/** The timeline strip. */
export function FreightTimeline(props: {
  freight: readonly Freight[];
  stages: readonly Stage[];
  colours: Map<string, string>;
  selected: string | undefined;
  /** True while the user picks the Freight for a Stage: every chip is outlined as pickable. */
  picking: boolean;
  onPick: (id: string) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ offset: 0, viewport: 0 });
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    let frame = 0;
    // One state update per animation frame at most, however fast the scroll events come.
    const measure = () => {
      frame = 0;
      setView((v) =>
        v.offset === el.scrollLeft && v.viewport === el.clientWidth
          ? v
          : { offset: el.scrollLeft, viewport: el.clientWidth },
      );
    };
    const schedule = () => {
      if (!frame) frame = requestAnimationFrame(measure);
    };
    measure();
    el.addEventListener('scroll', schedule, { passive: true });
    const resize = new ResizeObserver(schedule);
    resize.observe(el);
    return () => {
      el.removeEventListener('scroll', schedule);
      resize.disconnect();
      if (frame) cancelAnimationFrame(frame);
    };
  }, []);
  // Wheel scrolling reads as vertical on most mice: turn it sideways over the strip.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const wheel = (e: WheelEvent) => {
      if (Math.abs(e.deltaY) > Math.abs(e.deltaX) && el.scrollWidth > el.clientWidth) {
        el.scrollLeft += e.deltaY;
        e.preventDefault();
      }
    };
    el.addEventListener('wheel', wheel, { passive: false });
    return () => el.removeEventListener('wheel', wheel);
  }, []);

  const range = visibleRange({
    count: props.freight.length,
    itemSize: CHIP_SLOT,
    offset: view.offset,
    viewport: view.viewport,
    overscan: OVERSCAN,
  });
  const shown = props.freight.slice(range.start, range.end);
  return (
    <div class="chips-scroll" ref={box} data-freight-count={props.freight.length}>
      <ol class="chips" style={{ width: `${props.freight.length * CHIP_SLOT}px` }}>
        {range.before > 0 && (
          <li class="chip-spacer" aria-hidden="true" style={{ width: `${range.before}px` }} />
        )}
        {shown.map((f) => (
          <li key={f.metadata.name} class="chip-slot">
            <Chip
              freight={f}
              stages={props.stages}
              colours={props.colours}
              selected={props.selected === f.metadata.name}
              picking={props.picking}
              onPick={props.onPick}
            />
          </li>
        ))}
        {range.after > 0 && (
          <li class="chip-spacer" aria-hidden="true" style={{ width: `${range.after}px` }} />
        )}
      </ol>
    </div>
  );
}

function Chip(props: {
  freight: Freight;
  stages: readonly Stage[];
  colours: Map<string, string>;
  selected: boolean;
  picking: boolean;
  onPick: (id: string) => void;
}) {
  const f = props.freight;
  const inStages = stagesHolding(f, props.stages);
  const verified = Object.keys(f.status?.verifiedIn ?? {});
  const rejected = Object.keys(f.status?.rejected ?? {});
  return (
    <button
      type="button"
      class={`chip${props.selected ? ' selected' : ''}${props.picking ? ' pickable' : ''}`}
      data-freight={f.alias}
      title={`${f.metadata.name}\n${f.images.map((i) => `${i.repoURL}:${i.tag}`).join('\n')}`}
      onClick={() => props.onPick(f.metadata.name)}
    >
      <span class="alias">{f.alias}</span>
      <span class="tag">{freightTag(f)}</span>
      <span class="marks">
        {inStages.map((s) => (
          <span
            key={s}
            class="mark in"
            data-in={s}
            style={{ background: props.colours.get(s) ?? '#64748b' }}
            title={`in ${s}`}
          >
            {s}
          </span>
        ))}
        {verified
          .filter((s) => !inStages.includes(s))
          .map((s) => (
            <span
              key={s}
              class="mark verified"
              style={{ borderColor: props.colours.get(s) ?? '#64748b' }}
              title={`verified in ${s}`}
            >
              ✓ {s}
            </span>
          ))}
        {rejected.map((s) => (
          <span
            key={`x${s}`}
            class="mark rejected"
            data-rejected={s}
            title={`rejected for ${s === '*' ? 'every Stage' : s}`}
          >
            ✕ {s === '*' ? 'all' : s}
          </span>
        ))}
      </span>
    </button>
  );
}
