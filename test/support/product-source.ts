import { createServer, type Server } from 'node:http';
import { sharp } from '../../src/imaging/sharp-lib.ts';

/** A product photo the classical pipeline accepts: a dark box on a uniform light backdrop. */
async function productPhoto(): Promise<Buffer> {
  const product = await sharp({ create: { width: 400, height: 500, channels: 3, background: '#223355' } })
    .png()
    .toBuffer();
  return sharp({ create: { width: 1200, height: 900, channels: 3, background: '#f4f4f4' } })
    .composite([{ input: product, left: 400, top: 200 }])
    .jpeg()
    .toBuffer();
}

/** Serves the product photo on loopback (`/missing…` answers 404). */
export async function startProductSource(): Promise<{ base: string; close(): Promise<void> }> {
  const photo = await productPhoto();
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/missing')) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
