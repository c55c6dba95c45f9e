/**
 * For the stand-ins' tests: what an AWS SDK call's refusal looks like to the caller (the error's
 * name, the HTTP status and the message), or a thrown "expected a refusal" when the call succeeded.
 */
export async function sdkRefusal(
  promise: Promise<unknown>,
): Promise<{ name: string; status: number | undefined; message: string }> {
  const err = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as (Error & { $metadata?: { httpStatusCode?: number } }) | undefined;
  if (!err) throw new Error('expected a refusal');
  return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
}
