/**
 * Lambda's memory setting, as far as a local, in-process stand-in can honour it.
 *
 * AWS: "You can configure memory between 128 MB and 10,240 MB in 1-MB increments"
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html); a function that uses more
 * than its MemorySize is stopped (its REPORT line says "Max Memory Used" reached the size).
 *
 * Locally every function runs in the local cloud's own Node.js process, sharing one V8 heap with the
 * other functions and every stand-in, several invocations at once: no figure of the process (RSS,
 * heap used, the peak RSS) can be attributed to one invocation, and a cap on the process would stop
 * all of them, so the size is not enforced at run time. What is checked is what AWS checks when the
 * template is deployed (the range), and each function's size is reported when the local cloud starts.
 */
export const LAMBDA_MEMORY_MB = { min: 128, max: 10_240 } as const;

export interface FunctionMemory {
  readonly functionName: string;
  readonly memorySizeMb: number;
}

/** What AWS would refuse at deploy time, in its terms; undefined when the size is one Lambda takes. */
export function memorySizeProblem({ functionName, memorySizeMb }: FunctionMemory): string | undefined {
  if (
    !Number.isInteger(memorySizeMb) ||
    memorySizeMb < LAMBDA_MEMORY_MB.min ||
    memorySizeMb > LAMBDA_MEMORY_MB.max
  )
    return `${functionName}: MemorySize ${memorySizeMb} is not one Lambda takes (an integer number of MB from ${LAMBDA_MEMORY_MB.min} to ${LAMBDA_MEMORY_MB.max})`;
  return undefined;
}

/** The report the local cloud logs at start: each function's size, and why it is not enforced here. */
export function memoryReport(functions: readonly FunctionMemory[]): {
  readonly functions: readonly FunctionMemory[];
  readonly enforced: false;
  readonly why: string;
} {
  return {
    functions,
    enforced: false,
    why: 'in-process functions share one Node.js heap with each other and the stand-ins: a use cannot be told apart per invocation (docs/adr/0012)',
  };
}
