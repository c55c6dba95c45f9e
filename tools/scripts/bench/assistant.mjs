// The prompt assistant (issue 15): time to the first streamed token and to the whole suggestion, through
// the browser's path (web front → BFF → Bedrock stand-in ConverseStream → SSE), beside the bare
// ConverseStream call to the same stand-in (the model's own pace: a word every 25 ms offline).
import { ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';

import { pct } from './client.mjs';

const CORE = 'stability.stable-image-core-v1:1';
const IDEAS = [
  'un chat rouge sur le toit au coucher du soleil',
  'eine rote Katze im Schnee',
  'un perro negro en el bosque',
  'a lighthouse on a cliff at dusk',
];

/** One suggestion through the app: ms to the first `delta` event and to the `suggestion` event, and its cost. */
async function throughApp(url, prompt) {
  const t0 = performance.now();
  const res = await fetch(`${url}/api/assistant/suggestions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt, modelId: CORE }),
  });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let first = NaN;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    if (Number.isNaN(first) && buffer.includes('event: delta')) first = performance.now() - t0;
  }
  const total = performance.now() - t0;
  const last = buffer
    .split('\n\n')
    .map((b) => /^data: (.*)$/m.exec(b)?.[1])
    .filter(Boolean)
    .map((d) => JSON.parse(d))
    .at(-1);
  if (last?.type !== 'suggestion') throw new Error(`no suggestion: ${JSON.stringify(last)}`);
  return { first, total, cost: last.cost };
}

/** The bare ConverseStream call to the stand-in (what the model alone takes). */
async function bare(bedrock, prompt) {
  const t0 = performance.now();
  const out = await bedrock.send(
    new ConverseStreamCommand({
      modelId: 'us.amazon.nova-micro-v1:0',
      system: [
        {
          text: 'You write prompts for the text-to-image model Stable Image Core.\nPROMPT: …\nNEGATIVE: …\nCHANGE: …',
        },
      ],
      messages: [{ role: 'user', content: [{ text: `<idea>\n${prompt}\n</idea>` }] }],
      inferenceConfig: { maxTokens: 400 },
    }),
  );
  let first = NaN;
  for await (const e of out.stream)
    if (e.contentBlockDelta && Number.isNaN(first)) first = performance.now() - t0;
  return { first, total: performance.now() - t0 };
}

/** Runs `runs` suggestions one after the other; answers the section rows. */
export async function measureAssistant({ url, bedrock, runs }) {
  const app = [];
  const base = [];
  for (let i = 0; i < runs; i++) {
    const idea = IDEAS[i % IDEAS.length];
    base.push(await bare(bedrock, idea));
    app.push(await throughApp(url, idea));
  }
  const ms = (x) => `${Math.round(x)} ms`;
  const pair = (xs, k) =>
    `${ms(
      pct(
        xs.map((x) => x[k]),
        50,
      ),
    )} / ${ms(
      pct(
        xs.map((x) => x[k]),
        95,
      ),
    )}`;
  const costs = app.map((a) => a.cost.costUsd);
  const tokens = app.map((a) => a.cost.inputTokens + a.cost.outputTokens);
  const example = app[0].cost;
  return [
    ['first streamed token (p50 / p95)', pair(app, 'first'), pair(base, 'first')],
    ['whole suggestion, checked (p50 / p95)', pair(app, 'total'), pair(base, 'total')],
    [
      'cost of one suggestion at the catalog price (Nova Micro)',
      `US$ ${pct(costs, 50).toPrecision(2)} (p50 of ${runs}; e.g. ${example.inputTokens} tokens in, ${example.outputTokens} out)`,
      `${Math.round(pct(tokens, 50))} tokens`,
    ],
  ];
}
