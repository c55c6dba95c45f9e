import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// Container base images are pinned by digest (docs/adr/0013), so a build takes the image that was
// reviewed, not whatever the tag points at that day. Each Dockerfile names its images once, in a
// global `ARG` (e.g. NODE_IMAGE) that its FROM lines use; an image without a digest must be listed
// here with the reason.

const root = join(__dirname, '../../..');

/** Images allowed without a digest, and why. Remove an entry as soon as its digest is known. */
const UNPINNED_ALLOWED: Readonly<Record<string, string>> = {
  'nginxinc/nginx-unprivileged:1.29-alpine':
    'not a Docker Official Image: docker-library/repo-info does not record its digests, and Docker Hub ' +
    'cannot be reached from where this was written; look it up with `docker buildx imagetools inspect`',
};

const DIGEST = /@sha256:[0-9a-f]{64}$/;

interface BaseImage {
  readonly line: string;
  /** The image reference with the ARG defaults filled in. */
  readonly image: string;
}

/** The images a Dockerfile builds from (not its own earlier stages), with global ARG defaults resolved. */
export function baseImages(dockerfile: string): { images: BaseImage[]; args: Record<string, string> } {
  const args: Record<string, string> = {};
  const stages = new Set<string>();
  const images: BaseImage[] = [];
  let seenFrom = false;
  for (const line of dockerfile.split('\n')) {
    const arg = /^ARG (\w+)=(\S+)$/.exec(line);
    if (arg && !seenFrom) args[arg[1]] = arg[2];
    const from = /^FROM (?:--platform=\S+ )?(\S+)(?: AS (\S+))?$/i.exec(line);
    if (!from) continue;
    seenFrom = true;
    const image = from[1].replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => args[a ?? b] ?? `<unset ${a ?? b}>`);
    if (!stages.has(image)) images.push({ line, image });
    if (from[2]) stages.add(from[2]);
  }
  return { images, args };
}

/** What is wrong with a Dockerfile's base images: one line each. */
export function baseImageProblems(file: string, dockerfile: string): string[] {
  const { images } = baseImages(dockerfile);
  return images
    .filter(({ image }) => !DIGEST.test(image) && !(image in UNPINNED_ALLOWED))
    .map(({ line, image }) => `${file}: "${line}" uses ${image} without a @sha256 digest`);
}

const dockerfiles = readdirSync(join(root, 'docker'))
  .filter((name) => name.endsWith('Dockerfile'))
  .map((name) => ({ file: `docker/${name}`, text: readFileSync(join(root, 'docker', name), 'utf8') }));

describe('container base images', () => {
  it('finds the Dockerfiles', () => {
    expect(dockerfiles.map((d) => d.file).sort()).toEqual(['docker/bff.Dockerfile', 'docker/web.Dockerfile']);
  });

  it.each(dockerfiles.map((d) => [d.file, d.text]))(
    '%s builds from images pinned by digest',
    (file, text) => {
      expect(baseImageProblems(file, text)).toEqual([]);
      // and every FROM takes its image from the one ARG at the top, not a literal of its own
      for (const { line } of baseImages(text).images) expect(line).toMatch(/^FROM \$\{\w+\}/);
    },
  );

  it('gives an image the same reference in every Dockerfile (bump once, everywhere)', () => {
    const byArg = new Map<string, Set<string>>();
    for (const { text } of dockerfiles)
      for (const [name, value] of Object.entries(baseImages(text).args))
        byArg.set(name, (byArg.get(name) ?? new Set()).add(value));
    for (const [name, values] of byArg)
      expect({ name, values: [...values].length }).toEqual({ name, values: 1 });
  });

  it('refuses a tag without a digest, and a stage name is not an image', () => {
    const text = [
      'ARG NODE_IMAGE=node:24-alpine',
      'FROM ${NODE_IMAGE} AS build',
      'FROM build AS test',
      'FROM nginx:1.29-alpine',
      'FROM node:24.19.0-alpine3.24@sha256:' + 'a'.repeat(64),
    ].join('\n');
    expect(baseImageProblems('x.Dockerfile', text)).toEqual([
      'x.Dockerfile: "FROM ${NODE_IMAGE} AS build" uses node:24-alpine without a @sha256 digest',
      'x.Dockerfile: "FROM nginx:1.29-alpine" uses nginx:1.29-alpine without a @sha256 digest',
    ]);
  });

  it('lists only images some Dockerfile still uses without a digest', () => {
    const used = new Set(dockerfiles.flatMap((d) => baseImages(d.text).images.map((i) => i.image)));
    for (const image of Object.keys(UNPINNED_ALLOWED))
      expect({ image, used: used.has(image) }).toEqual({ image, used: true });
  });
});
