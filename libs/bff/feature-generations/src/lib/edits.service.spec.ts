import type { GeneratorClient } from '@imagegen/bff/data-access-generator';
import { ErrorCode, UPLOAD_MAX_BYTES } from '@imagegen/contracts';
import { problemOf } from '@imagegen/contracts/testing';

import { EditsService } from './edits.service';

const UPLOAD = 'up0123456789ab';
const ERASE = { serviceId: 'stability.stable-image-erase-object-v1:0', image: { uploadId: UPLOAD } };

function serviceWith() {
  const sent: { method: string; args: unknown[] }[] = [];
  const record =
    (method: string) =>
    async (...args: unknown[]) => {
      sent.push({ method, args });
      return { method };
    };
  const generator = {
    createUpload: record('createUpload'),
    checkUpload: record('checkUpload'),
    createEdit: record('createEdit'),
  } as unknown as GeneratorClient;
  return { edits: new EditsService(generator), sent };
}

describe(EditsService.name, () => {
  it('sends a ticket request on as validated, for the owner and request', async () => {
    const { edits, sent } = serviceWith();
    await edits.createUpload('anon-1', 'req-1', { contentType: 'image/jpeg', bytes: 1000 });
    expect(sent).toEqual([
      { method: 'createUpload', args: ['anon-1', { contentType: 'image/jpeg', bytes: 1000 }, 'req-1'] },
    ]);
  });

  it.each([
    [{ contentType: 'image/jpeg', bytes: UPLOAD_MAX_BYTES + 1 }, ErrorCode.PAYLOAD_TOO_LARGE],
    [{ contentType: 'image/heic', bytes: 1000 }, ErrorCode.UNSUPPORTED_MEDIA_TYPE],
    [{ contentType: 'image/jpeg' }, ErrorCode.VALIDATION_FAILED],
  ])('refuses the ticket request %j with %s, sending nothing', async (body, code) => {
    const { edits, sent } = serviceWith();
    expect((await problemOf(edits.createUpload('anon-1', 'r', body))).code).toBe(code);
    expect(sent).toEqual([]);
  });

  it('checks an upload by its id, and answers an id that is not one 404 without asking', async () => {
    const { edits, sent } = serviceWith();
    await edits.checkUpload('anon-1', UPLOAD, 'r');
    expect((await problemOf(edits.checkUpload('anon-1', '../up0123456789ab', 'r'))).code).toBe(
      ErrorCode.NOT_FOUND,
    );
    expect(sent).toEqual([{ method: 'checkUpload', args: ['anon-1', UPLOAD, 'r'] }]);
  });

  it('sends an edit the service accepts as it came, with the idempotency key', async () => {
    const { edits, sent } = serviceWith();
    await edits.create('anon-1', 'r', ERASE, 'click-0001');
    expect(sent).toEqual([{ method: 'createEdit', args: ['anon-1', ERASE, 'r', 'click-0001'] }]);
  });

  it("passes an earlier edit's kept input through as it came, and refuses a malformed one unsent", async () => {
    const { edits, sent } = serviceWith();
    const reuse = { ...ERASE, image: { generationId: 'g0123456789ab', input: 'image' } };
    await edits.create('anon-1', 'r', reuse, 'click-0002');
    expect(sent).toEqual([{ method: 'createEdit', args: ['anon-1', reuse, 'r', 'click-0002'] }]);
    const mask = { ...ERASE, image: { generationId: 'g0123456789ab', input: 'mask' } };
    expect((await problemOf(edits.create('anon-1', 'r', mask, 'click-0003'))).errors).toEqual([
      expect.objectContaining({ field: 'image.input', rule: 'isIn' }),
    ]);
    expect(sent).toHaveLength(1);
  });

  it.each([
    ['a mask that is not an upload id', { ...ERASE, mask: { uploadId: 'uploads/anon-2/x' } }, 'x'],
    ['an unknown field', { ...ERASE, ownerId: 'anon-2' }, 'x'],
    ['a malformed idempotency key', ERASE, 'no'],
  ])('refuses %s with 400, sending nothing', async (_name, body, key) => {
    const { edits, sent } = serviceWith();
    expect((await problemOf(edits.create('anon-1', 'r', body, key === 'x' ? undefined : key))).code).toBe(
      ErrorCode.VALIDATION_FAILED,
    );
    expect(sent).toEqual([]);
  });
});
