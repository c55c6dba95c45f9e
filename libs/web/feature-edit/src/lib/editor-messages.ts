import { ErrorCode, ProblemDetails, UPLOAD_MAX_BYTES } from '@imagegen/contracts';
import { UserMessage, userMessage } from '@imagegen/web/util-jobs';

/**
 * A problem of the editor's own requests (an upload, opening an image) in words: a few codes mean something
 * else here than for a prompt (a body too large is the file, not the prompt); the rest as everywhere.
 */
export function editorMessage(p: ProblemDetails): UserMessage {
  switch (p.code) {
    case ErrorCode.PAYLOAD_TOO_LARGE:
      return {
        title: 'The file is too large',
        message: `Files up to ${UPLOAD_MAX_BYTES / 1024 / 1024} MB can be edited: choose a smaller one.`,
        retryable: false,
      };
    case ErrorCode.NOT_FOUND:
      return {
        title: 'Not found',
        message: 'This image does not exist (or is not yours), or its upload has expired: upload it again.',
        retryable: false,
      };
    default:
      return userMessage(p);
  }
}
