import type { Dimensions } from './header-dimensions.ts';
import type { ByteSource } from './image-source.ts';

/** What the HEIF container (HEIC and AVIF alike) says about its primary image, read without decoding. */
export interface HeifHeader extends Dimensions {
  readonly hasAlpha: boolean;
  /** `hvc1` (HEVC), `av01` (AV1), `grid` (tiles), … */
  readonly itemType: string;
}

// The item and property tables live in `meta`; a few hundred KiB even for tiled 48 MP photos.
const MAX_META_BYTES = 8 * 1024 * 1024;
const MAX_TOP_LEVEL_BOXES = 10_000;
const ALPHA_AUX_TYPES = new Set([
  'urn:mpeg:hevc:2015:auxid:1',
  'urn:mpeg:mpegB:cicp:systems:auxiliary:alpha',
]);

interface Box {
  readonly type: string;
  /** First byte of the payload. */
  readonly start: number;
  /** One past the last byte of the box. */
  readonly end: number;
}

export async function readHeifHeader(bytes: ByteSource): Promise<HeifHeader | null> {
  const meta = await readMetaBox(bytes);
  return meta ? parseMeta(meta) : null;
}

async function readMetaBox(bytes: ByteSource): Promise<Buffer | null> {
  let offset = 0;
  for (let count = 0; count < MAX_TOP_LEVEL_BOXES && offset + 8 <= bytes.size; count++) {
    const header = await bytes.read(offset, 16);
    if (header.length < 8) return null;
    let size = header.readUInt32BE(0);
    let headerSize = 8;
    if (size === 1) {
      if (header.length < 16) return null;
      size = Number(header.readBigUInt64BE(8));
      headerSize = 16;
    } else if (size === 0) {
      size = bytes.size - offset;
    }
    if (size < headerSize) return null;
    if (header.toString('latin1', 4, 8) === 'meta') {
      if (size > MAX_META_BYTES) return null;
      const box = await bytes.read(offset, size);
      return box.length === size ? box.subarray(headerSize) : null;
    }
    offset += size;
  }
  return null;
}

function* children(data: Buffer, start: number, end: number): Generator<Box> {
  let offset = start;
  while (offset + 8 <= end) {
    let size = data.readUInt32BE(offset);
    let headerSize = 8;
    if (size === 1) {
      if (offset + 16 > end) return;
      size = Number(data.readBigUInt64BE(offset + 8));
      headerSize = 16;
    } else if (size === 0) {
      size = end - offset;
    }
    if (size < headerSize || offset + size > end) return;
    yield {
      type: data.toString('latin1', offset + 4, offset + 8),
      start: offset + headerSize,
      end: offset + size,
    };
    offset += size;
  }
}

const find = (data: Buffer, start: number, end: number, type: string): Box | undefined => {
  for (const box of children(data, start, end)) if (box.type === type) return box;
  return undefined;
};

// `meta` is a full box: its children start after four bytes of version and flags.
function parseMeta(meta: Buffer): HeifHeader | null {
  try {
    return parseMetaBoxes(meta, 4, meta.length);
  } catch {
    return null; // a table pointing outside its box: a broken header, same as no header
  }
}

function parseMetaBoxes(data: Buffer, start: number, end: number): HeifHeader | null {
  const pitm = find(data, start, end, 'pitm');
  if (!pitm) return null;
  const primary =
    data[pitm.start] === 0 ? data.readUInt16BE(pitm.start + 4) : data.readUInt32BE(pitm.start + 4);

  const itemTypes = readItemTypes(data, find(data, start, end, 'iinf'));
  const iprp = find(data, start, end, 'iprp');
  if (!iprp) return null;
  const ipco = find(data, iprp.start, iprp.end, 'ipco');
  if (!ipco) return null;
  const properties = [...children(data, ipco.start, ipco.end)];
  const associations = readAssociations(data, iprp);
  const propertiesOf = (item: number): Box[] =>
    (associations.get(item) ?? []).map((index) => properties[index - 1]).filter((box) => box !== undefined);

  const primaryProperties = propertiesOf(primary);
  const ispe = primaryProperties.find((box) => box.type === 'ispe');
  if (!ispe) return null;
  let width = data.readUInt32BE(ispe.start + 4);
  let height = data.readUInt32BE(ispe.start + 8);
  const irot = primaryProperties.find((box) => box.type === 'irot');
  if (irot && ((data[irot.start] ?? 0) & 1) === 1) [width, height] = [height, width];
  if (width <= 0 || height <= 0) return null;

  const hasAlpha = auxiliaryItemsOf(data, find(data, start, end, 'iref'), primary).some((item) =>
    propertiesOf(item).some((box) => box.type === 'auxC' && ALPHA_AUX_TYPES.has(auxType(data, box))),
  );
  return { width, height, hasAlpha, itemType: itemTypes.get(primary) ?? '' };
}

function readItemTypes(data: Buffer, iinf: Box | undefined): Map<number, string> {
  const types = new Map<number, string>();
  if (!iinf) return types;
  const entriesStart = iinf.start + (data[iinf.start] === 0 ? 6 : 8);
  for (const infe of children(data, entriesStart, iinf.end)) {
    if (infe.type !== 'infe') continue;
    const version = data[infe.start] ?? 0;
    if (version < 2) continue;
    const id = version === 2 ? data.readUInt16BE(infe.start + 4) : data.readUInt32BE(infe.start + 4);
    const typeAt = infe.start + (version === 2 ? 8 : 10);
    types.set(id, data.toString('latin1', typeAt, typeAt + 4));
  }
  return types;
}

/** item id → 1-based indexes into `ipco`. */
function readAssociations(data: Buffer, iprp: Box): Map<number, number[]> {
  const associations = new Map<number, number[]>();
  for (const ipma of children(data, iprp.start, iprp.end)) {
    if (ipma.type !== 'ipma') continue;
    const version = data[ipma.start] ?? 0;
    const wideIndex = ((data[ipma.start + 3] ?? 0) & 1) === 1;
    const entries = data.readUInt32BE(ipma.start + 4);
    let offset = ipma.start + 8;
    for (let entry = 0; entry < entries && offset < ipma.end; entry++) {
      const item = version < 1 ? data.readUInt16BE(offset) : data.readUInt32BE(offset);
      offset += version < 1 ? 2 : 4;
      const count = data[offset] ?? 0;
      offset += 1;
      const indexes = associations.get(item) ?? [];
      for (let i = 0; i < count; i++) {
        indexes.push(wideIndex ? data.readUInt16BE(offset) & 0x7fff : (data[offset] ?? 0) & 0x7f);
        offset += wideIndex ? 2 : 1;
      }
      associations.set(item, indexes);
    }
  }
  return associations;
}

/** Items that declare themselves auxiliary (`auxl`) to `primary`: alpha planes, depth maps. */
function auxiliaryItemsOf(data: Buffer, iref: Box | undefined, primary: number): number[] {
  if (!iref) return [];
  const wide = data[iref.start] !== 0;
  const items: number[] = [];
  for (const reference of children(data, iref.start + 4, iref.end)) {
    if (reference.type !== 'auxl') continue;
    let offset = reference.start;
    const from = wide ? data.readUInt32BE(offset) : data.readUInt16BE(offset);
    offset += wide ? 4 : 2;
    const count = data.readUInt16BE(offset);
    offset += 2;
    for (let i = 0; i < count; i++) {
      const to = wide ? data.readUInt32BE(offset) : data.readUInt16BE(offset);
      offset += wide ? 4 : 2;
      if (to === primary) items.push(from);
    }
  }
  return items;
}

function auxType(data: Buffer, auxC: Box): string {
  const text = data.toString('latin1', auxC.start + 4, auxC.end);
  const nul = text.indexOf('\0');
  return nul < 0 ? text : text.slice(0, nul);
}
