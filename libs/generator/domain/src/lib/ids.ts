import { IdPort, RandomPort } from './ports';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * Time-sortable ids: 9 base-36 digits of milliseconds (sorts correctly until the year 5188),
 * then 12 random base-36 characters. `randomValues` is Web Crypto's getRandomValues.
 */
export function timeSortableIds(
  now: () => number,
  randomValues: (a: Uint8Array<ArrayBuffer>) => Uint8Array = (a) => crypto.getRandomValues(a),
): IdPort {
  return {
    newId() {
      const time = now().toString(36).padStart(9, '0');
      const bytes = randomValues(new Uint8Array(12));
      let rand = '';
      for (const b of bytes) rand += ALPHABET[b % 36];
      return time + rand;
    },
  };
}

export const mathRandom: RandomPort = {
  integer(min, max) {
    return min + Math.floor(Math.random() * (max - min + 1));
  },
};
