import { crc32 } from 'node:zlib';

/**
 * AWS's binary event-stream framing (the `application/vnd.amazon.eventstream` body of ConverseStream
 * and every other AWS streaming answer), as the service writes it: a prelude (total length and headers
 * length, 4-byte big-endian each), the prelude's CRC-32, the headers, the payload, and the CRC-32 of
 * everything before it. Each header: name length (1 byte), name, value type (7 = string), value length
 * (2 bytes), value. Spec: https://docs.aws.amazon.com/lexv2/latest/dg/event-stream-encoding.html and
 * https://docs.aws.amazon.com/transcribe/latest/dg/event-stream.html (the same framing).
 */
export function encodeEventStreamMessage(headers: Readonly<Record<string, string>>, payload: Buffer): Buffer {
  const headerParts: Buffer[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const n = Buffer.from(name, 'utf8');
    const v = Buffer.from(value, 'utf8');
    const head = Buffer.alloc(1 + n.length + 1 + 2);
    head.writeUInt8(n.length, 0);
    n.copy(head, 1);
    head.writeUInt8(7, 1 + n.length);
    head.writeUInt16BE(v.length, 2 + n.length);
    headerParts.push(head, v);
  }
  const headerBytes = Buffer.concat(headerParts);
  const total = 12 + headerBytes.length + payload.length + 4;
  const message = Buffer.alloc(total);
  message.writeUInt32BE(total, 0);
  message.writeUInt32BE(headerBytes.length, 4);
  message.writeUInt32BE(crc32(message.subarray(0, 8)), 8);
  headerBytes.copy(message, 12);
  payload.copy(message, 12 + headerBytes.length);
  message.writeUInt32BE(crc32(message.subarray(0, total - 4)), total - 4);
  return message;
}

/** One event of a REST-JSON event stream: `:event-type` names the member, the payload is its JSON. */
export function encodeEvent(eventType: string, body: unknown): Buffer {
  return encodeEventStreamMessage(
    { ':event-type': eventType, ':content-type': 'application/json', ':message-type': 'event' },
    Buffer.from(JSON.stringify(body), 'utf8'),
  );
}

/** An exception inside the stream (`:message-type` exception), as Bedrock sends one mid-stream. */
export function encodeException(exceptionType: string, message: string): Buffer {
  return encodeEventStreamMessage(
    { ':exception-type': exceptionType, ':content-type': 'application/json', ':message-type': 'exception' },
    Buffer.from(JSON.stringify({ message }), 'utf8'),
  );
}
