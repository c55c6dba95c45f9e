// Minimal types for the two local servers (neither ships its own).
declare module 's3rver' {
  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    resetOnClose?: boolean;
    configureBuckets?: { name: string; configs: (string | Buffer)[] }[];
  }
  export default class S3rver {
    constructor(options: S3rverOptions);
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  }
}

// s3rver's own store and object model, as the store's tests use them (s3rver-store.spec.ts).
declare module 's3rver/lib/stores/filesystem' {
  export default class FilesystemStore {
    constructor(rootDirectory: string);
    putBucket(bucket: string): Promise<unknown>;
    getObject(bucket: string, key: string): Promise<{ content: NodeJS.ReadableStream } | null>;
  }
}
declare module 's3rver/lib/models/object' {
  export default class S3Object {
    constructor(bucket: string, key: string, content: unknown, metadata: Record<string, string>);
    readonly bucket: string;
    readonly key: string;
    readonly content: Buffer | import('node:stream').Readable;
    readonly metadata: Record<string, string>;
  }
}

declare module 'dynalite' {
  import { Server } from 'node:http';
  interface DynaliteOptions {
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
  }
  export default function dynalite(options?: DynaliteOptions): Server;
}
