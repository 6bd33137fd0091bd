/**
 * Writes src/web/public/favicon.ico from favicon.svg beside it: Chromium draws the SVG at
 * 16, 32 and 48 pixels and the PNGs go into one ICO file (PNG entries, which every current
 * browser reads). Browsers and tools that ask for /favicon.ico without reading the page's
 * <link rel="icon"> get the same icon. Run after changing the SVG: `npx tsx scripts/favicon-ico.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { launchChromium } from '../test/helpers/browser.ts';

const PUBLIC = resolve(import.meta.dirname, '../src/web/public');
const SIZES = [16, 32, 48];

/** An ICO file of PNG images: ICONDIR, one 16-byte ICONDIRENTRY per image, then the PNGs. */
function icoOf(images: Array<{ size: number; png: Buffer }>): Buffer {
  const header = Buffer.alloc(6 + 16 * images.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // 1 = icon
  header.writeUInt16LE(images.length, 4);
  let offset = header.length;
  images.forEach(({ size, png }, i) => {
    const entry = 6 + 16 * i;
    header.writeUInt8(size >= 256 ? 0 : size, entry);
    header.writeUInt8(size >= 256 ? 0 : size, entry + 1);
    header.writeUInt16LE(1, entry + 4); // colour planes
    header.writeUInt16LE(32, entry + 6); // bits per pixel
    header.writeUInt32LE(png.length, entry + 8);
    header.writeUInt32LE(offset, entry + 12);
    offset += png.length;
  });
  return Buffer.concat([header, ...images.map((i) => i.png)]);
}

async function main() {
  const svg = readFileSync(join(PUBLIC, 'favicon.svg'), 'utf8');
  const browser = await launchChromium();
  try {
    const images = [];
    for (const size of SIZES) {
      const page = await browser.newPage({ viewport: { width: size, height: size } });
      await page.setContent(
        `<style>html,body{margin:0;background:transparent}svg{display:block;width:${size}px;height:${size}px}</style>${svg}`,
      );
      images.push({ size, png: await page.screenshot({ omitBackground: true, type: 'png' }) });
      await page.close();
    }
    writeFileSync(join(PUBLIC, 'favicon.ico'), icoOf(images));
  } finally {
    await browser.close();
  }
}

await main();
