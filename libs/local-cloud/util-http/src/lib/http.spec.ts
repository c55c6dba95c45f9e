import { BodyTooLargeError, PortInUseError, listen, readBody, sendJson } from './http';

describe(listen.name, () => {
  it('serves on a free loopback port and says which port is taken when it is', async () => {
    const first = await listen((req, res) => {
      readBody(req, 10).then(
        (body) => sendJson(res, 200, { size: body.length }),
        (err) => sendJson(res, err instanceof BodyTooLargeError ? 413 : 500, { message: err.message }),
      );
    }, 0, 'test');
    try {
      const ok = await fetch(first.url, { method: 'POST', body: '12345' });
      expect(await ok.json()).toEqual({ size: 5 });
      const big = await fetch(first.url, { method: 'POST', body: 'x'.repeat(11) });
      expect(big.status).toBe(413);
      await expect(listen(() => undefined, first.port, 'S3 stand-in')).rejects.toEqual(new PortInUseError(first.port, 'S3 stand-in'));
    } finally {
      await first.close();
    }
  });
});
