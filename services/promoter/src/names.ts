import { ulid } from 'ulid';

/** A Promotion name as Kargo makes it: `<stage>.<ulid>.<first 7 of freight>`, lowercase. */
export function promotionNameFor(stage: string, freight: string, nowMs: number): string {
  return `${stage}.${ulid(nowMs).toLowerCase()}.${freight.slice(0, 7)}`;
}

/** The Stage a Promotion name belongs to (names are `<stage>.<ulid>.<freight7>`). */
export function stageOfPromotion(name: string): string {
  return name.split('.').slice(0, -2).join('.');
}
