import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import { Observable } from 'rxjs';

import {
  AssistantEvent,
  AssistantStatus,
  ErrorCode,
  ImprovePromptRequest,
  isProblemDetails,
  problem,
} from '@imagegen/contracts';

/**
 * Splits server-sent events out of what has arrived so far: the complete events, and the unfinished
 * rest to keep for the next chunk. Comment lines (the BFF's keep-alives) are skipped.
 */
export function readSseEvents(buffer: string): { readonly events: AssistantEvent[]; readonly rest: string } {
  const blocks = buffer.split('\n\n');
  const rest = blocks.pop() ?? '';
  const events: AssistantEvent[] = [];
  for (const block of blocks) {
    const data = block
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trimStart())
      .join('\n');
    if (data) events.push(JSON.parse(data) as AssistantEvent);
  }
  return { events, rest };
}

/** The prompt assistant of the BFF: its status, and a suggestion as the events it streams. */
@Injectable({ providedIn: 'root' })
export class AssistantApi {
  private readonly http = inject(HttpClient);

  status(): Observable<AssistantStatus> {
    return this.http.get<AssistantStatus>('/api/assistant');
  }

  /**
   * POSTs the idea and emits each event as it arrives (fetch and a stream reader: EventSource cannot
   * POST). A refusal before streaming (problem+json) becomes one `error` event. Unsubscribing aborts the
   * request, which stops the model call on the server.
   */
  suggest(request: ImprovePromptRequest): Observable<AssistantEvent> {
    return new Observable<AssistantEvent>((subscriber) => {
      const abort = new AbortController();
      (async () => {
        const res = await fetch('/api/assistant/suggestions', {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
          body: JSON.stringify(request),
          signal: abort.signal,
          credentials: 'same-origin',
        });
        if (!res.ok || !res.body) {
          const body: unknown = await res.json().catch(() => undefined);
          subscriber.next({
            type: 'error',
            problem: isProblemDetails(body)
              ? body
              : problem(ErrorCode.SERVICE_UNAVAILABLE, 'the assistant could not be reached'),
          });
          return subscriber.complete();
        }
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          const read = readSseEvents(buffer);
          buffer = read.rest;
          for (const event of read.events) subscriber.next(event);
        }
        subscriber.complete();
      })().catch((err: unknown) => {
        if (abort.signal.aborted) return;
        subscriber.next({
          type: 'error',
          problem: problem(ErrorCode.SERVICE_UNAVAILABLE, `the assistant stopped answering (${String(err)})`),
        });
        subscriber.complete();
      });
      return () => abort.abort();
    });
  }
}
