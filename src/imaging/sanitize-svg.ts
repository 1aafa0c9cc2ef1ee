import { SaxesParser, type SaxesTagNS } from 'saxes';
import { detectFormat } from './detect-format.ts';
import { type Dimensions, jpegDimensions, rasterHeaderDimensions } from './header-dimensions.ts';
import { CORRUPT_MESSAGE, type ImageFailure } from './image-failure.ts';
import {
  ANIMATION_ELEMENTS,
  RASTER_HREF_ELEMENTS,
  SVG_ATTRIBUTES,
  SVG_ELEMENTS,
  TEXT_ELEMENTS,
  XML_ATTRIBUTES,
} from './svg-allow-list.ts';
import { isSafeAttributeValue, sanitizeCss } from './svg-css.ts';
import { intrinsicSvgSize } from './svg-size.ts';

const SVG_NS = 'http://www.w3.org/2000/svg';
const XLINK_NS = 'http://www.w3.org/1999/xlink';
const XML_NS = 'http://www.w3.org/XML/1998/namespace';
// Editor namespaces (inkscape:, sodipodi:) are often used without being declared; their content is dropped
// anyway, so an unbound prefix must not make the whole file unreadable.
const UNBOUND_NS = 'urn:lightbox:unbound';

export interface SanitizedSvg extends Dimensions {
  readonly ok: true;
  /** Well-formed SVG with nothing that runs code or loads anything from elsewhere. */
  readonly svg: string;
}

export interface SanitizeSvgOptions {
  /** Deeper documents are refused (each level costs the rasterizer stack). Default 256. */
  readonly maxDepth?: number;
  /** Embedded `data:image` rasters together may declare at most this many pixels. Default 25 MP. */
  readonly maxEmbeddedPixels?: number;
  /**
   * Write the intrinsic size (CSS px) as the root's width and height, and drop its x/y: the document can
   * then be nested in another at that size and renders as a browser would show it (used to rasterize).
   */
  readonly pinRootSize?: boolean;
}

const DEFAULT_MAX_DEPTH = 256;
const DEFAULT_MAX_EMBEDDED_PIXELS = 25_000_000;
const EMBEDDED_RASTER = /^data:image\/(png|jpeg|jpg|gif|webp);base64,([a-z0-9+/=\s]+)$/i;
const FORBIDDEN_ANIMATION_TARGET = /^(xlink:)?href$|^on|^style$/i;

class Refusal extends Error {
  constructor(readonly failure: ImageFailure) {
    super(failure.message);
  }
}

const refuse = (reason: ImageFailure['reason'], message: string, detail?: string): Refusal =>
  new Refusal(detail === undefined ? { ok: false, reason, message } : { ok: false, reason, message, detail });

interface OpenElement {
  readonly name: string;
  /** `<name attrs` written, `>` not yet: becomes `/>` if nothing goes inside. */
  pending: boolean;
  readonly styleText?: string[];
}

/**
 * Parses SVG as XML (no DTD processing, no external entities) and writes back only allow-listed SVG
 * elements and attributes. Removed: scripts, foreignObject, event handlers, every reference that is not a
 * local `#fragment` (href, xlink:href, url(...), @import), javascript:/data: URIs — except `data:image`
 * PNG/JPEG/GIF/WebP in <image>/<feImage>, whose declared size is checked because the rasterizer would
 * decode them in full. A DOCTYPE with an internal subset (entity declarations: billion laughs, XXE) refuses
 * the file; a bare DOCTYPE naming the public SVG DTD (old Illustrator exports) is dropped, never fetched.
 */
export function sanitizeSvg(text: string, options: SanitizeSvgOptions = {}): SanitizedSvg | ImageFailure {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  let embeddedPixelBudget = options.maxEmbeddedPixels ?? DEFAULT_MAX_EMBEDDED_PIXELS;
  const out: string[] = [];
  const open: OpenElement[] = [];
  let depth = 0;
  let dropDepth = 0;
  let rootSeen = false;
  let unprefixedIsSvg = false;
  let size: Dimensions | null = null;

  const parser = new SaxesParser({
    xmlns: true,
    position: false,
    resolvePrefix: (prefix: string) => (prefix === '' ? undefined : UNBOUND_NS),
  });
  parser.on('error', (error) => {
    throw refuse('corrupt', CORRUPT_MESSAGE, `svg: ${error.message}`);
  });
  parser.on('doctype', (doctype) => {
    if (doctype.includes('[')) {
      throw refuse('unsupported', 'SVG files with DOCTYPE entity declarations are not accepted');
    }
  });

  const enterContent = (): void => {
    const parent = open.at(-1);
    if (parent?.pending) {
      out.push('>');
      parent.pending = false;
    }
  };

  const keptHref = (element: string, value: string): string | null => {
    const href = value.trim();
    if (href.startsWith('#')) return href;
    if (!RASTER_HREF_ELEMENTS.has(element)) return null;
    const pixels = embeddedRasterPixels(href);
    if (pixels === null || pixels > embeddedPixelBudget) return null;
    embeddedPixelBudget -= pixels;
    return href.replace(/\s+/g, '');
  };

  const keptAttributes = (tag: SaxesTagNS, isRoot: boolean): string => {
    const element = tag.local;
    let written = '';
    for (const attribute of Object.values(tag.attributes)) {
      const { uri, local, value } = attribute;
      let name: string | null = null;
      let kept: string | null = value;
      if (uri === XLINK_NS && local === 'href') {
        name = 'xlink:href';
        kept = keptHref(element, value);
      } else if (uri === '' && local === 'href') {
        name = 'href';
        kept = keptHref(element, value);
      } else if (uri === XML_NS && XML_ATTRIBUTES.has(local)) {
        name = `xml:${local}`;
      } else if (uri === '' && SVG_ATTRIBUTES.has(local) && !/^on/i.test(local)) {
        name = local;
        kept = local === 'style' ? sanitizeCss(value) : isSafeAttributeValue(value) ? value : null;
      }
      if (name === null || kept === null || kept === '') continue;
      if (isRoot && options.pinRootSize && ['width', 'height', 'x', 'y'].includes(name)) continue;
      written += ` ${name}="${escapeAttribute(kept)}"`;
    }
    return written;
  };

  const isAllowedElement = (tag: SaxesTagNS): boolean => {
    const inSvg = tag.uri === SVG_NS || (unprefixedIsSvg && tag.uri === '');
    if (!inSvg || !SVG_ELEMENTS.has(tag.local)) return false;
    if (ANIMATION_ELEMENTS.has(tag.local)) {
      const target = tag.attributes.attributeName?.value.trim() ?? '';
      if (FORBIDDEN_ANIMATION_TARGET.test(target)) return false;
    }
    if (tag.local === 'style') {
      const type = tag.attributes.type?.value.trim().toLowerCase();
      if (type !== undefined && type !== '' && type !== 'text/css') return false;
    }
    return true;
  };

  parser.on('opentag', (tag) => {
    depth++;
    if (depth > maxDepth)
      throw refuse('unsupported', `SVG nesting is too deep (more than ${maxDepth} levels)`);
    if (dropDepth > 0) {
      dropDepth++;
      return;
    }
    const isRoot = !rootSeen;
    if (isRoot) {
      rootSeen = true;
      if (tag.local !== 'svg' || (tag.uri !== SVG_NS && tag.uri !== '')) {
        throw refuse('corrupt', CORRUPT_MESSAGE, 'svg: the root element is not <svg>');
      }
      unprefixedIsSvg = tag.uri === '';
      size = intrinsicSvgSize({
        width: tag.attributes.width?.value,
        height: tag.attributes.height?.value,
        viewBox: tag.attributes.viewBox?.value,
      });
    }
    // A <style> holds CSS only: an element inside it would also split its text around a second `>`.
    if (!isAllowedElement(tag) || open.at(-1)?.styleText) {
      dropDepth = 1;
      return;
    }
    enterContent();
    let start = `<${tag.local}`;
    if (isRoot) {
      start += ` xmlns="${SVG_NS}" xmlns:xlink="${XLINK_NS}"`;
      if (options.pinRootSize && size) start += ` width="${size.width}" height="${size.height}"`;
    }
    out.push(start + keptAttributes(tag, isRoot));
    open.push(
      tag.local === 'style'
        ? { name: tag.local, pending: true, styleText: [] }
        : { name: tag.local, pending: true },
    );
  });

  parser.on('closetag', () => {
    depth--;
    if (dropDepth > 0) {
      dropDepth--;
      return;
    }
    const element = open.pop();
    if (!element) return;
    if (element.styleText) {
      const css = sanitizeCss(element.styleText.join(''));
      if (css) {
        out.push('>', escapeText(css));
        element.pending = false;
      }
    }
    out.push(element.pending ? '/>' : `</${element.name}>`);
  });

  const onText = (content: string): void => {
    const element = open.at(-1);
    if (dropDepth > 0 || !element || !TEXT_ELEMENTS.has(element.name)) return;
    if (element.styleText) {
      element.styleText.push(content);
      return;
    }
    enterContent();
    out.push(escapeText(content));
  };
  parser.on('text', onText);
  parser.on('cdata', onText);

  try {
    parser.write(text).close();
  } catch (error) {
    if (error instanceof Refusal) return error.failure;
    throw error;
  }
  if (!size || out.length === 0)
    return { ok: false, reason: 'corrupt', message: CORRUPT_MESSAGE, detail: 'svg: empty' };
  return { ok: true, svg: out.join(''), ...(size as Dimensions) };
}

/** Pixels an embedded `data:image/...;base64` raster declares, or null when it is anything else. */
function embeddedRasterPixels(href: string): number | null {
  const match = EMBEDDED_RASTER.exec(href);
  if (!match?.[2]) return null;
  const bytes = Buffer.from(match[2].replace(/\s+/g, ''), 'base64');
  const format = detectFormat(bytes);
  let dimensions: Dimensions | null | 'need-more' = null;
  if (format === 'jpeg') dimensions = jpegDimensions(bytes);
  else if (format === 'png' || format === 'gif' || format === 'webp')
    dimensions = rasterHeaderDimensions(format, bytes);
  return dimensions && dimensions !== 'need-more' ? dimensions.width * dimensions.height : null;
}

const escapeText = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const escapeAttribute = (text: string): string =>
  escapeText(text)
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
