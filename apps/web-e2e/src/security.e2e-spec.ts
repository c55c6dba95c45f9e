import { Browser, BrowserContext, Page } from 'playwright-core';

import { ErrorCode, Generation, OWNER_HEADER, OwnerSummary } from '@imagegen/contracts';

import { DESKTOP, launchBrowser, newContext } from './support/browser';
import { generatorCall } from './support/fuzz-ledger';
import { OTHER_CREDENTIALS, signExecuteApi } from './support/fuzz-sigv4';
import { APP_URL, E2E_PORTS, S3_ORIGIN, setFaults } from './support/stack';

// The security test through the full stack: each way in that is not mine is refused, and
// markup in a prompt stays text. Two browser contexts are two owners (two cookies).

const CORE = 'stability.stable-image-core-v1:1';
const GENERATOR = {
  app: APP_URL,
  apiGateway: `http://127.0.0.1:${E2E_PORTS.LOCAL_APIGW_PORT}`,
  stage: 'prod', // the template's stage (GENERATOR_STAGE in infra)
  s3: S3_ORIGIN,
};
/** Markup that would run if a page ever rendered a prompt as HTML or used it as a link. */
const HOSTILE_PROMPT =
  `<script>window.__pwned='script';alert('script')</script> ` +
  `<img src=x onerror="window.__pwned='img';alert('img')"> ` +
  `<a href="javascript:window.__pwned='link';alert('link')">a lighthouse</a> ` +
  `javascript:alert('url')`;

let browser: Browser;
let mine: BrowserContext;
let theirs: BrowserContext;
let myJob: Generation;
let theirJob: Generation;

beforeAll(async () => {
  await setFaults({ latencyMs: 0, throttleRate: 0, errorRate: 0 });
  browser = await launchBrowser();
  mine = await newContext(browser, DESKTOP);
  theirs = await newContext(browser, DESKTOP);
  myJob = await finishedJob(mine, 'my lighthouse');
  theirJob = await finishedJob(theirs, 'their harbour');
});

afterAll(async () => {
  await browser?.close();
});

/** Makes a job as the context's owner (its cookie) and waits for its image. */
async function finishedJob(context: BrowserContext, prompt: string): Promise<Generation> {
  const created = await context.request.post(`${APP_URL}/api/generations`, {
    data: { modelId: CORE, prompt },
  });
  expect(created.status()).toBe(202);
  const { id } = (await created.json()) as Generation;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const job = (await (await context.request.get(`${APP_URL}/api/generations/${id}`)).json()) as Generation;
    if (job.status === 'succeeded') return job;
    if (job.status !== 'queued' && job.status !== 'running') throw new Error(`job ${id} ended ${job.status}`);
    if (Date.now() > deadline) throw new Error(`job ${id} is still ${job.status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A presigned URL with its path (the object key) replaced. */
function withPath(url: string, pathname: string): string {
  const u = new URL(url);
  u.pathname = pathname;
  return u.toString();
}

async function moveS3Clock(offsetSeconds: number): Promise<void> {
  // From Node, never from the page: the admin endpoints refuse any request with an Origin header.
  const res = await fetch(`${S3_ORIGIN}/__clock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ offsetSeconds }),
  });
  expect(res.status).toBe(200);
}

describe('owner isolation through the BFF', () => {
  it.each([
    ['reads', 'GET', ''],
    ['cancels', 'POST', '/cancel'],
    ['deletes', 'DELETE', ''],
    ['follows the events of', 'GET', '/events'],
  ])('answers 404 NOT_FOUND when another owner %s my job by its id', async (_what, method, suffix) => {
    // GIVEN my job, and another browser (another owner cookie) that knows its id
    // WHEN that browser asks for it
    const res = await theirs.request.fetch(`${APP_URL}/api/generations/${myJob.id}${suffix}`, { method });
    // THEN it is refused as if the job did not exist
    expect(res.status()).toBe(404);
    expect(res.headers()['content-type']).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ status: 404, code: ErrorCode.NOT_FOUND });
    // AND my job is untouched
    const still = (await (
      await mine.request.get(`${APP_URL}/api/generations/${myJob.id}`)
    ).json()) as Generation;
    expect(still).toMatchObject({ id: myJob.id, status: 'succeeded' });
  });

  it("lists only the owner's own jobs, and ignores an owner header sent by the browser", async () => {
    // WHEN the other browser lists, naming my owner in the header the BFF gives the generator
    const mineListed = (await (await mine.request.get(`${APP_URL}/api/generations`)).json()) as {
      items: Generation[];
    };
    const myOwner = decodeURIComponent(new URL(myJob.images[0].url).pathname.split('/')[3]);
    const res = await theirs.request.get(`${APP_URL}/api/generations`, {
      headers: { [OWNER_HEADER]: myOwner },
    });
    const ids = ((await res.json()) as { items: Generation[] }).items.map((g) => g.id);
    // THEN it sees its own job only
    expect(ids).toContain(theirJob.id);
    expect(ids).not.toContain(myJob.id);
    expect(mineListed.items.map((g) => g.id)).not.toContain(theirJob.id);
  });
});

describe('images in S3', () => {
  const bucketPath = (url: string) => new URL(url).pathname; // /<bucket>/owners/<owner>/generations/<id>/<image>

  it('serves my image by its presigned URL (the control for the refusals below)', async () => {
    expect((await fetch(myJob.images[0].url)).status).toBe(200);
  });

  it('refuses an unsigned GET of a guessed key, and an unsigned listing of the bucket (403)', async () => {
    // WHEN someone knows (or guesses) the key of another owner's image and asks S3 without a signature
    const guessed = await fetch(`${S3_ORIGIN}${bucketPath(theirJob.images[0].url)}`);
    const listing = await fetch(
      `${S3_ORIGIN}/${bucketPath(theirJob.images[0].url).split('/')[1]}?list-type=2&prefix=owners/`,
    );
    // THEN S3 refuses both
    expect(guessed.status).toBe(403);
    expect(listing.status).toBe(403);
  });

  it("refuses my presigned URL with the key swapped for another owner's (403)", async () => {
    const swapped = withPath(myJob.images[0].url, bucketPath(theirJob.images[0].url));
    expect((await fetch(swapped)).status).toBe(403);
  });

  it.each([
    [
      'its signature changed',
      (u: URL) => u.searchParams.set('X-Amz-Signature', flip(u.searchParams.get('X-Amz-Signature') ?? '')),
    ],
    ['a longer lifetime', (u: URL) => u.searchParams.set('X-Amz-Expires', '604800')],
    [
      'another key of the same job (the thumbnail)',
      (u: URL) => (u.pathname = u.pathname.replace(/\.png$/, '.thumb.webp')),
    ],
    [
      'its credential changed',
      (u: URL) =>
        u.searchParams.set(
          'X-Amz-Credential',
          (u.searchParams.get('X-Amz-Credential') ?? '').replace(
            /^[^/]+/,
            OTHER_CREDENTIALS.unknownKey.accessKeyId,
          ),
        ),
    ],
  ])('refuses a tampered presigned URL: %s (403)', async (_what, tamper) => {
    const url = new URL(myJob.images[0].url);
    tamper(url);
    expect((await fetch(url.toString())).status).toBe(403);
  });

  it('refuses an expired presigned URL (403), and a link read afresh works again', async () => {
    // GIVEN a link of mine, and the S3 clock moved past its lifetime
    const { presignExpirySeconds } = (await (
      await mine.request.get(`${APP_URL}/api/summary`)
    ).json()) as OwnerSummary;
    const link = myJob.images[0].url;
    await moveS3Clock(presignExpirySeconds + 60);
    try {
      // WHEN the old link is used
      const expired = await fetch(link);
      // THEN S3 says it has expired
      expect(expired.status).toBe(403);
      expect(await expired.text()).toContain('Request has expired');
      // AND reading the job again gives a link that works
      const fresh = (await (
        await mine.request.get(`${APP_URL}/api/generations/${myJob.id}`)
      ).json()) as Generation;
      expect((await fetch(fresh.images[0].url)).status).toBe(200);
    } finally {
      await moveS3Clock(0);
    }
  });

  it('refuses the S3 admin endpoints to a web page (a request with an Origin header)', async () => {
    const res = await fetch(`${S3_ORIGIN}/__clock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: APP_URL },
      body: '{"offsetSeconds":100000}',
    });
    expect(res.status).toBe(403);
    expect(
      ((await (await fetch(`${S3_ORIGIN}/__clock`)).json()) as { offsetSeconds: number }).offsetSeconds,
    ).toBe(0);
  });
});

describe('the generator API (IAM auth: SigV4 from the BFF only)', () => {
  const owner = 'security-test-owner';

  it('answers a call signed as the BFF signs (the control)', async () => {
    expect((await generatorCall(GENERATOR, 'GET', '/generations', owner)).status).toBe(200);
  });

  it('refuses an unsigned call (403)', async () => {
    const res = await fetch(`${GENERATOR.apiGateway}/${GENERATOR.stage}/generations`, {
      headers: { [OWNER_HEADER]: owner },
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ message: 'Missing Authentication Token' });
  });

  it.each([
    ['keys the API does not know', OTHER_CREDENTIALS.unknownKey],
    ["the BFF's key id with another secret", OTHER_CREDENTIALS.wrongSecret],
  ])('refuses a call signed with %s (403)', async (_what, credentials) => {
    const res = await generatorCall(GENERATOR, 'GET', '/generations', owner, credentials);
    expect(res.status).toBe(403);
    expect(res.body.toString('utf8')).not.toContain('"items"');
  });

  it('refuses a signed call whose owner header was changed after signing (403)', async () => {
    // GIVEN a call signed for one owner
    const host = new URL(GENERATOR.apiGateway).host;
    const headers = await signExecuteApi({
      method: 'GET',
      host,
      path: `/${GENERATOR.stage}/generations`,
      headers: { [OWNER_HEADER]: owner },
    });
    // WHEN the owner header is swapped in transit
    const res = await fetch(`${GENERATOR.apiGateway}/${GENERATOR.stage}/generations`, {
      headers: { ...headers, [OWNER_HEADER]: 'someone-else' },
    });
    // THEN the signature no longer matches
    expect(res.status).toBe(403);
  });
});

describe('a prompt carrying markup and script', () => {
  /** Records every dialog and whether the payload's flag was ever set. */
  function watch(page: Page): { dialogs: string[] } {
    const seen = { dialogs: [] as string[] };
    page.on('dialog', (d) => {
      seen.dialogs.push(d.message());
      void d.dismiss();
    });
    return seen;
  }

  const pwned = (page: Page) =>
    page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned ?? null);
  /** Elements the payload would have made if it had been parsed as HTML. */
  const injected = (page: Page) =>
    page.evaluate(() => ({
      imgX: document.querySelectorAll('img[src="x"], img[onerror]').length,
      scripts: Array.from(document.querySelectorAll('script')).filter((s) =>
        s.textContent?.includes('__pwned'),
      ).length,
      jsLinks: document.querySelectorAll('a[href^="javascript:" i]').length,
    }));
  const NOTHING = { imgX: 0, scripts: 0, jsLinks: 0 };

  it('is shown as text on the create page, in the gallery and on the detail page, and nothing runs', async () => {
    const context = await newContext(browser, DESKTOP);
    const page = await context.newPage();
    const seen = watch(page);

    // GIVEN a person types the hostile prompt and generates
    await page.goto(APP_URL);
    await page.getByTestId('prompt').fill(HOSTILE_PROMPT);
    await page.getByTestId('generate').click();
    const image = page.getByTestId('result-image').first();
    await image.waitFor({ timeout: 60_000 });

    // THEN the create page keeps it as text (the field, the image's alt text) and nothing ran
    expect(await page.getByTestId('prompt').inputValue()).toBe(HOSTILE_PROMPT);
    expect(await image.getAttribute('alt')).toBe(`Generated image for: ${HOSTILE_PROMPT}`);
    expect(await injected(page)).toEqual(NOTHING);

    // WHEN the gallery shows it
    await page.getByTestId('nav-gallery').click();
    const tile = page.getByTestId('gallery-item').filter({ hasText: "window.__pwned='script'" }).first();
    await tile.waitFor();
    // THEN the prompt is the literal text, with no element made from it
    expect(await tile.locator('.tile__prompt').textContent()).toBe(HOSTILE_PROMPT);
    expect(await tile.locator('.tile__prompt *').count()).toBe(0);
    expect(await injected(page)).toEqual(NOTHING);

    // AND the detail page too
    await tile.getByTestId('open-detail').click();
    const detail = page.getByTestId('detail-prompt');
    await detail.waitFor();
    expect(await detail.textContent()).toBe(HOSTILE_PROMPT);
    expect(await detail.locator('*').count()).toBe(0);
    expect(await injected(page)).toEqual(NOTHING);

    // AND no dialog opened and no script of the prompt ran, anywhere
    expect(seen.dialogs).toEqual([]);
    expect(await pwned(page)).toBeNull();
    await context.close();
  });
});

describe('the owner cookie', () => {
  it('is httpOnly and SameSite=Lax: the page cannot read it', async () => {
    const context = await newContext(browser, DESKTOP);
    const page = await context.newPage();
    await page.goto(APP_URL);
    await page.getByTestId('prompt').waitFor();
    // GIVEN the app has issued the owner cookie (the page's first API call)
    await page.evaluate(() => fetch('/api/summary').then((r) => r.status));
    const cookie = (await context.cookies(APP_URL)).find((c) => c.name === 'imagegen_owner');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    // THEN script in the page does not see it
    expect(await page.evaluate(() => document.cookie)).not.toContain('imagegen_owner');
    await context.close();
  });
});

function flip(signature: string): string {
  const last = signature.slice(-1);
  return signature.slice(0, -1) + (last === '0' ? '1' : '0');
}
