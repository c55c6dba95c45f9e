// dynalite ships no types; the repository's tests run against it (a DynamoDB that validates like DynamoDB).
declare module 'dynalite' {
  import { Server } from 'node:http';
  export default function dynalite(options?: { createTableMs?: number }): Server;
}
