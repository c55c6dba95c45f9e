import { startStack } from './stack';

export default async function globalSetup(): Promise<void> {
  const child = await startStack();
  (globalThis as { __STACK__?: unknown }).__STACK__ = child;
}
