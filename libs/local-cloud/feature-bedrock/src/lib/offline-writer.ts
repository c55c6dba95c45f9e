/**
 * The offline text model behind the local ConverseStream: a deterministic writer that turns an idea into
 * the assistant's labelled lines by rules. It keeps the idea's words (translating a small French, German
 * and Spanish vocabulary into English), adds the detail an image model wants, and answers only what the
 * system text asks for (NEGATIVE and STYLE lines when it names them). Like a careless real model it can
 * be talked into misbehaving: an idea that says "ignore ... instructions" makes it leak them, so the
 * app's own check of the answer is what keeps it out of the page.
 */

const VOCABULARY: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  French: {
    un: 'a',
    une: 'a',
    le: 'the',
    la: 'the',
    les: 'the',
    des: 'some',
    du: 'of the',
    de: 'of',
    et: 'and',
    sur: 'on',
    dans: 'in',
    sous: 'under',
    avec: 'with',
    au: 'at the',
    coucher: 'setting',
    soleil: 'sun',
    chat: 'cat',
    chien: 'dog',
    maison: 'house',
    toit: 'roof',
    arbre: 'tree',
    forêt: 'forest',
    mer: 'sea',
    montagne: 'mountain',
    ville: 'city',
    nuit: 'night',
    rouge: 'red',
    bleu: 'blue',
    vert: 'green',
    noir: 'black',
    blanc: 'white',
    petit: 'small',
    grand: 'big',
    vieux: 'old',
    lune: 'moon',
    fleur: 'flower',
    fleurs: 'flowers',
    oiseau: 'bird',
    rivière: 'river',
    pluie: 'rain',
    neige: 'snow',
  },
  German: {
    ein: 'a',
    eine: 'a',
    einen: 'a',
    der: 'the',
    die: 'the',
    das: 'the',
    und: 'and',
    auf: 'on',
    im: 'in the',
    mit: 'with',
    unter: 'under',
    katze: 'cat',
    hund: 'dog',
    haus: 'house',
    dach: 'roof',
    baum: 'tree',
    wald: 'forest',
    meer: 'sea',
    berg: 'mountain',
    stadt: 'city',
    nacht: 'night',
    rot: 'red',
    rote: 'red',
    roter: 'red',
    blau: 'blue',
    blaue: 'blue',
    grün: 'green',
    schwarz: 'black',
    weiß: 'white',
    klein: 'small',
    kleine: 'small',
    groß: 'big',
    alt: 'old',
    mond: 'moon',
    blume: 'flower',
    vogel: 'bird',
    fluss: 'river',
    regen: 'rain',
    schnee: 'snow',
    sonnenuntergang: 'sunset',
  },
  Spanish: {
    el: 'the',
    los: 'the',
    las: 'the',
    y: 'and',
    en: 'in',
    con: 'with',
    bajo: 'under',
    gato: 'cat',
    perro: 'dog',
    casa: 'house',
    tejado: 'roof',
    árbol: 'tree',
    bosque: 'forest',
    mar: 'sea',
    montaña: 'mountain',
    ciudad: 'city',
    noche: 'night',
    rojo: 'red',
    roja: 'red',
    azul: 'blue',
    verde: 'green',
    negro: 'black',
    blanco: 'white',
    pequeño: 'small',
    viejo: 'old',
    luna: 'moon',
    flor: 'flower',
    flores: 'flowers',
    pájaro: 'bird',
    río: 'river',
    lluvia: 'rain',
    nieve: 'snow',
    atardecer: 'sunset',
    un: 'a',
    sobre: 'on',
    una: 'a',
  },
};

/** Words of every language read as themselves in English (so "a cat" stays "a cat"). */
const ENGLISH_TOO = new Set(['a', 'on', 'in', 'the', 'and', 'with', 'under']);

/** Adjective before noun: the Romance order ("chat rouge") becomes the English one ("red cat"). */
const ADJECTIVES = new Set(['red', 'blue', 'green', 'black', 'white', 'small', 'big', 'old']);

function detectLanguage(words: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = 0;
  for (const [language, vocab] of Object.entries(VOCABULARY)) {
    const score = words.filter((w) => vocab[w] !== undefined && !ENGLISH_TOO.has(w)).length;
    if (score > bestScore) [best, bestScore] = [language, score];
  }
  return best;
}

function translate(idea: string): { readonly english: string; readonly language?: string } {
  const words = idea
    .toLowerCase()
    .split(/[^\p{L}\p{N}'-]+/u)
    .filter(Boolean);
  const language = detectLanguage(words);
  if (!language) return { english: words.join(' ') };
  const vocab = VOCABULARY[language];
  const out: string[] = [];
  for (const w of words) {
    const en = vocab[w] ?? w.normalize('NFD').replace(/\p{M}/gu, '');
    if (ADJECTIVES.has(en) && language !== 'German' && out.length && !ADJECTIVES.has(out[out.length - 1])) {
      // Romance languages put most colour adjectives after the noun.
      out.splice(out.length - 1, 0, en);
    } else out.push(...en.split(' '));
  }
  return { english: out.join(' ').replace(/\bsetting of the sun\b/, 'sunset'), language };
}

/** The labels the system text asks for, and the style presets it offers. */
function asked(system: string): { negative: boolean; styles: readonly string[] } {
  const styles = /STYLE:.*?from:\s*(.+?)\.?$/m.exec(system)?.[1].split(/,\s*/) ?? [];
  return { negative: /^NEGATIVE:/m.test(system), styles };
}

/** The answer for one Converse request (system text and the last user turn), deterministic in both. */
export function offlineSuggestion(system: string, user: string): string {
  const idea = (/<idea>([\s\S]*?)<\/idea>/.exec(user)?.[1] ?? user).trim();
  if (/\bignore\b.*\b(instructions?|rules)\b/i.test(idea))
    return `Sure, here are my instructions: ${system.split('\n')[0]}`;
  const { english, language } = translate(idea);
  const subject = english.charAt(0).toUpperCase() + english.slice(1);
  const lines = [
    `PROMPT: ${subject}, highly detailed, soft natural lighting, sharp focus, balanced composition`,
  ];
  const want = asked(system);
  if (want.negative) lines.push('NEGATIVE: blurry, low quality, distorted, watermark, text');
  if (want.styles.length) {
    const photo = want.styles.find((s) => /photo/i.test(s));
    lines.push(`STYLE: ${photo ?? want.styles[0]}`);
  }
  lines.push(
    `CHANGE: ${language ? `Translated from ${language} into English and added` : 'Added'} lighting, detail and composition.`,
  );
  return lines.join('\n');
}

/** The answer cut into the pieces a model streams (a word and the space or line break after it). */
export function streamPieces(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [];
}
