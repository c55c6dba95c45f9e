/**
 * A cheap guess at whether a prompt is written in English (Stability models want English):
 * enough to warn, never to block. It looks for three kinds of evidence:
 * - letters of a non-Latin script (Cyrillic, Greek, Han, kana, Hangul, Arabic, ...) making up much of the text;
 * - function words of another language ("und", "avec", "una", ...) outnumbering the English ones;
 * - accented words that are not English loanwords ("château" counts, "café" does not), with no English function word.
 * Brand and place names ("Le Corbusier", "Los Angeles", "Das Auto") carry at most one foreign word and do not trip it.
 */

export type NonEnglishEvidence = 'script' | 'words';

export interface PromptLanguage {
  readonly nonEnglish: boolean;
  readonly evidence?: NonEnglishEvidence;
}

/** Share of letters in a non-Latin script above which a prompt is taken as not English. */
const NON_LATIN_SHARE = 0.4;

const ENGLISH = new Set(
  'the a an of with and in on at is are to for from by under over into near its their this that these those some very his her while'.split(
    ' ',
  ),
);

/** Function words per language, leaving out every one that is also an English word ("a", "in", "do", "die" stays: rare in prompts). */
const FOREIGN: Readonly<Record<string, ReadonlySet<string>>> = {
  fr: new Set(
    'le la les des du une un et est avec dans sur pour au aux ce cette ces qui sous très sans entre vers chez leur ou où à en'.split(
      ' ',
    ),
  ),
  es: new Set(
    'el los las una unos unas un del con por para y en muy sobre que al su sus entre bajo desde hacia como está lo'.split(
      ' ',
    ),
  ),
  de: new Set(
    'der die das und mit ein eine einem einen einer eines auf im ist nicht von zu dem den des unter über bei sich zum zur aus sehr oder wie'.split(
      ' ',
    ),
  ),
  it: new Set(
    'il lo gli della delle dello degli dei con una un uno di che nel nella sul sulla da al alla sotto tra fra molto del è'.split(
      ' ',
    ),
  ),
  pt: new Set('um uma umas uns com os da das dos em não na ao pela pelo sobre muito é à'.split(' ')),
  nl: new Set('de het een en met van niet zijn voor onder naar bij ook deze dit'.split(' ')),
};

/** Accented words English uses as its own: never evidence of another language. */
const LOANWORDS = new Set(
  (
    'café cafés naïve naïveté résumé façade fiancé fiancée jalapeño jalapeños piñata piñatas déjà crème brûlée entrée cliché rosé ' +
    'soirée doppelgänger über señor señora señorita protégé exposé mêlée touché décor pokémon beyoncé zoë noël citroën nestlé ' +
    'häagen mötley crüe motörhead smörgåsbord são méxico québec montréal zürich málaga español niño ångström'
  ).split(' '),
);

/** French elisions (l'huile, d'un, qu'il): French, whatever the words after them. */
const FRENCH_ELISION = /(?:^|[^\p{L}])(?:l|d|qu|j)['’]\p{L}/iu;

const LETTER = /\p{L}/gu;
const LATIN = /\p{Script=Latin}/u;
const WORD = /\p{L}[\p{L}\p{M}]*/gu;
const ACCENTED = /[\p{M}ßøæœłđı]/u;

export function promptLanguage(text: string): PromptLanguage {
  const letters = text.match(LETTER) ?? [];
  if (letters.length === 0) return { nonEnglish: false };
  const nonLatin = letters.filter((ch) => !LATIN.test(ch)).length;
  if (nonLatin / letters.length >= NON_LATIN_SHARE) return { nonEnglish: true, evidence: 'script' };

  const words = (text.normalize('NFC').toLowerCase().match(WORD) ?? []).filter((w) => LATIN.test(w));
  const distinct = new Set(words);
  const english = [...distinct].filter((w) => ENGLISH.has(w)).length;
  const foreign = Math.max(
    ...Object.entries(FOREIGN).map(
      ([lang, stop]) =>
        [...distinct].filter((w) => stop.has(w)).length +
        (lang === 'fr' && FRENCH_ELISION.test(text) ? 1 : 0),
    ),
  );
  const accented = [...distinct].filter((w) => ACCENTED.test(w.normalize('NFD')) && !LOANWORDS.has(w)).length;

  const nonEnglish =
    (foreign >= 2 && foreign > english) ||
    (english === 0 && foreign >= 1 && accented >= 1) ||
    (english === 0 && accented >= 2);
  return nonEnglish ? { nonEnglish, evidence: 'words' } : { nonEnglish: false };
}

/** True when the prompt is probably not English (see `promptLanguage`). */
export function looksNonEnglish(text: string): boolean {
  return promptLanguage(text).nonEnglish;
}
