import { looksNonEnglish, promptLanguage } from './prompt-language';

describe(promptLanguage.name, () => {
  it.each([
    ['Кот в сапогах, масляная живопись', 'Cyrillic'],
    ['富士山と桜、浮世絵風', 'Japanese'],
    ['一只猫坐在窗台上', 'Chinese'],
    ['달빛 아래 고양이', 'Korean'],
    ['مدينة في الليل', 'Arabic'],
    ['Όμορφο ηλιοβασίλεμα στη θάλασσα', 'Greek'],
  ])('flags %p (%s) by its script', (prompt) => {
    // GIVEN a prompt written in a non-Latin script / WHEN it is checked / THEN the script gives it away
    expect(promptLanguage(prompt)).toEqual({ nonEnglish: true, evidence: 'script' });
  });

  it.each([
    ["Un chat noir sur un toit, peinture à l'huile", 'French'],
    ['Ein roter Apfel auf einem Holztisch', 'German'],
    ['Ölgemälde eines Hundes', 'German, one function word and an umlaut'],
    ['Un gato negro en la ventana al atardecer', 'Spanish'],
    ['Una casa sulla collina con il tramonto', 'Italian'],
    ['Um cachorro correndo na praia com o pôr do sol', 'Portuguese'],
    ['Een kat op de bank met een boek', 'Dutch'],
    ['Château fort médiéval enneigé', 'French, accents only'],
  ])('flags %p (%s) by its words', (prompt) => {
    expect(promptLanguage(prompt)).toEqual({ nonEnglish: true, evidence: 'words' });
  });

  it.each([
    ['a lighthouse on a cliff at dusk, oil painting'],
    ['a cozy café in Paris at dusk'],
    ['Crème brûlée on a white plate'],
    ['naïve art of a jalapeño piñata'],
    ['São Paulo skyline at night'],
    ['Château Margaux wine label with gold foil'],
    ['a Volkswagen Das Auto billboard on the highway'],
    ['a portrait in the style of Le Corbusier'],
    ['Le Mans race car'],
    ['La La Land poster, neon'],
    ['a taco stand in Los Angeles'],
    ['Starry night in the style of van Gogh'],
    ['Día de los Muertos altar with candles and marigolds'],
    ["a poster with the words 'la vie en rose'"],
    ['a neon sign saying 東京 on a rainy street'],
    ['a die-cast toy car'],
    ['cyberpunk city, 8k, trending on artstation'],
    [''],
    ['1234 !!! 🎨🎨'],
  ])('does not flag ordinary English: %p', (prompt) => {
    expect(looksNonEnglish(prompt)).toBe(false);
  });
});
