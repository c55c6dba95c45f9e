import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

import { ErrorCode, problem, PROBLEM_CONTENT_TYPE } from '@imagegen/contracts';

import { API_CONTENT_SECURITY_POLICY } from './security-headers';

/**
 * Requests Node's HTTP parser refuses before any middleware runs (headers over the size limit,
 * malformed request lines or headers) are answered as problem+json too, instead of Node's bare
 * 400/431. Timeouts and resets keep Node's handling.
 */
export function answerClientErrorsAsProblems(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const code = err.code ?? '';
    if (!socket.writable || !code.startsWith('HPE_')) {
      if (code === 'ERR_HTTP_REQUEST_TIMEOUT' && socket.writable)
        return void socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
      return void socket.destroy();
    }
    const details =
      code === 'HPE_HEADER_OVERFLOW'
        ? problem(ErrorCode.PAYLOAD_TOO_LARGE, 'the request headers are too large')
        : problem(ErrorCode.VALIDATION_FAILED, 'the request is not valid HTTP');
    const body = JSON.stringify(details);
    socket.end(
      [
        `HTTP/1.1 ${details.status} ${details.title}`,
        `Content-Type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8`,
        `Content-Length: ${Buffer.byteLength(body)}`,
        `Content-Security-Policy: ${API_CONTENT_SECURITY_POLICY}`,
        'X-Content-Type-Options: nosniff',
        'Referrer-Policy: no-referrer',
        'Cache-Control: no-store',
        'Connection: close',
        '',
        body,
      ].join('\r\n'),
    );
  });
}
