import { describe, expect, it } from 'vitest';
import { type SanitizedSvg, sanitizeSvg } from './sanitize-svg.ts';
import { intrinsicSvgSize } from './svg-size.ts';
import { pngWithHeader } from './testing/fixtures.ts';

const SVG_OPEN =
  '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100" height="50">';

function clean(body: string, open = SVG_OPEN): string {
  const result = sanitizeSvg(`${open}${body}</svg>`);
  if (!result.ok) throw new Error(`refused: ${result.message} ${result.detail ?? ''}`);
  return result.svg;
}

const FORBIDDEN = [
  /<script/i,
  /\bon[a-z]+=/i,
  /javascript:/i,
  /evil\.example/i,
  /ENTITY/,
  /DOCTYPE/,
  /foreignObject/,
];
const expectHarmless = (svg: string): void => {
  for (const pattern of FORBIDDEN) expect(svg).not.toMatch(pattern);
};

describe('sanitizeSvg removes active content', () => {
  it('drops <script> with its content, and every event handler', () => {
    const svg = clean(
      '<script>alert(1)</script><script xlink:href="https://evil.example/x.js"/>' +
        '<rect width="10" height="10" onclick="alert(2)" onmouseover="alert(3)"/>' +
        '<g onload="alert(4)"><circle r="3"/></g>',
      SVG_OPEN.replace('>', ' onload="alert(0)">'),
    );
    expectHarmless(svg);
    expect(svg).toContain('<rect width="10" height="10"/>');
    expect(svg).toContain('<g><circle r="3"/></g>');
    expect(svg).not.toContain('alert');
  });

  it('keeps local #fragment references and drops external and javascript: ones', () => {
    const svg = clean(
      '<defs><linearGradient id="g"><stop offset="0" stop-color="red"/></linearGradient><rect id="r" width="1" height="1"/></defs>' +
        '<use xlink:href="#r"/><use href="https://evil.example/sprite.svg#icon"/>' +
        '<a xlink:href="javascript:alert(1)"><text>click</text></a><a href="#r"><text>local</text></a>' +
        '<image xlink:href="https://evil.example/track.png" width="5" height="5"/>' +
        '<rect fill="url(#g)" width="2" height="2"/><rect fill="url(https://evil.example/x.svg#g)" width="3" height="3"/>' +
        '<rect filter="url( \'https://evil.example/f.svg#f\' )" width="4" height="4"/>',
    );
    expectHarmless(svg);
    expect(svg).toContain('<use xlink:href="#r"/>');
    expect(svg).toContain('<a><text>click</text></a>');
    expect(svg).toContain('<a href="#r"><text>local</text></a>');
    expect(svg).toContain('fill="url(#g)"');
    expect(svg).toContain('<rect width="3" height="3"/>');
    expect(svg).toContain('<rect width="4" height="4"/>');
  });

  it('drops foreignObject, unknown elements and editor namespaces', () => {
    const svg = clean(
      '<foreignObject><div xmlns="http://www.w3.org/1999/xhtml"><iframe src="https://evil.example"/></div></foreignObject>' +
        '<sodipodi:namedview xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"/>' +
        '<inkscape:thing/><metadata><rdf:RDF/></metadata><blink>old</blink>' +
        '<path d="M0 0L10 10" inkscape:label="x" xml:space="preserve"/>',
    );
    expectHarmless(svg);
    expect(svg).not.toMatch(/sodipodi|inkscape|metadata|blink|iframe|rdf/);
    expect(svg).toContain('<path d="M0 0L10 10" xml:space="preserve"/>');
  });

  it('removes @import and remote url() from CSS, refuses CSS escapes', () => {
    const svg = clean(
      '<style>@import url("https://evil.example/a.css"); @import \'https://evil.example/b.css\';' +
        '.a { fill: url(https://evil.example/p.svg#p); } .b { fill: url(#ok); }</style>' +
        '<style><![CDATA[ .c { stroke: blue } ]]></style>' +
        '<style>.d { background: u\\72l(https://evil.example/e.png) }</style>' +
        '<rect style="fill: url(https://evil.example/x#y); stroke: red" width="1" height="1"/>' +
        '<rect style="behavior: url(#x); -moz-binding: url(https://evil.example/b.xml)" width="2" height="2"/>',
    );
    expectHarmless(svg);
    expect(svg).not.toContain('@import');
    expect(svg).toContain('.a { fill: none; } .b { fill: url(#ok); }');
    expect(svg).toContain('<style>.c { stroke: blue }</style>');
    expect(svg).toContain('<style/>');
    expect(svg).toContain('style="fill: none; stroke: red"');
    expect(svg).toContain('<rect width="2" height="2"/>');
  });

  it('drops SMIL animations that would rewrite href or add handlers, keeps harmless ones', () => {
    const svg = clean(
      '<a><set attributeName="href" to="javascript:alert(1)"/><animate attributeName="xlink:href" values="javascript:alert(2)"/>' +
        '<set attributeName="onclick" to="alert(3)"/><animate attributeName="x" values="0;10" dur="1s"/></a>',
    );
    expectHarmless(svg);
    expect(svg).toContain('<animate attributeName="x" values="0;10" dur="1s"/>');
    expect(svg).not.toContain('<set');
  });

  it('keeps small embedded PNG/JPEG data URIs in <image>, drops big ones and other data URIs', () => {
    const tiny = `data:image/png;base64,${pngWithHeader(2, 2).toString('base64')}`;
    const huge = `data:image/png;base64,${pngWithHeader(20_000, 20_000).toString('base64')}`;
    const html = `data:text/html;base64,${Buffer.from('<script>alert(1)</script>').toString('base64')}`;
    const svg = clean(
      `<image href="${tiny}" width="2" height="2"/><image href="${huge}" width="3" height="3"/>` +
        `<image xlink:href="${html}" width="4" height="4"/><use href="${tiny}"/>`,
    );
    expectHarmless(svg);
    expect(svg).toContain(`<image href="${tiny}" width="2" height="2"/>`);
    expect(svg).toContain('<image width="3" height="3"/>');
    expect(svg).toContain('<image width="4" height="4"/>');
    expect(svg).toContain('<use/>');
    expect(svg).not.toContain('text/html');
  });

  it('escapes text and attribute values on output and is idempotent', () => {
    const svg = clean(
      '<text x="1" font-family="&quot;A&amp;B&quot;">1 &lt; 2 &amp;&amp; 3 &gt; 2</text><title>T</title>',
    );
    expect(svg).toContain(
      '<text x="1" font-family="&quot;A&amp;B&quot;">1 &lt; 2 &amp;&amp; 3 &gt; 2</text>',
    );
    const again = sanitizeSvg(svg) as SanitizedSvg;
    expect(again.ok).toBe(true);
    expect(again.svg).toBe(svg);
  });
});

describe('sanitizeSvg refuses', () => {
  it('any DOCTYPE with an internal subset (entities: XXE, billion laughs)', () => {
    const xxe = `<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${SVG_OPEN}<text>&xxe;</text></svg>`;
    const laughs =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>' +
      `${SVG_OPEN}<text>&lol2;</text></svg>`;
    for (const text of [xxe, laughs]) {
      expect(sanitizeSvg(text)).toEqual({
        ok: false,
        reason: 'unsupported',
        message: 'SVG files with DOCTYPE entity declarations are not accepted',
      });
    }
  });

  it('entity references that are not XML built-ins', () => {
    expect(sanitizeSvg(`${SVG_OPEN}<text>&nbsp;</text></svg>`)).toMatchObject({
      ok: false,
      reason: 'corrupt',
    });
  });

  it('absurd nesting', () => {
    const deep = `${SVG_OPEN}${'<g>'.repeat(1000)}${'</g>'.repeat(1000)}</svg>`;
    expect(sanitizeSvg(deep)).toMatchObject({ ok: false, reason: 'unsupported' });
    expect(sanitizeSvg(`${SVG_OPEN}${'<g>'.repeat(100)}${'</g>'.repeat(100)}</svg>`).ok).toBe(true);
  });

  it('documents that are not SVG or not well-formed', () => {
    expect(sanitizeSvg('<html><svg/></html>')).toMatchObject({ ok: false, reason: 'corrupt' });
    expect(sanitizeSvg(`${SVG_OPEN}<g></svg>`)).toMatchObject({ ok: false, reason: 'corrupt' });
    expect(sanitizeSvg('not xml at all')).toMatchObject({ ok: false, reason: 'corrupt' });
  });
});

describe('sanitizeSvg output shape', () => {
  it('drops a bare DOCTYPE, the XML declaration, comments and processing instructions', () => {
    const text =
      '<?xml version="1.0" encoding="UTF-8"?><?xml-stylesheet href="https://evil.example/s.css"?>' +
      '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">' +
      `<!-- comment -->${SVG_OPEN}<!-- inner --><rect width="1" height="1"/></svg>`;
    const result = sanitizeSvg(text) as SanitizedSvg;
    expect(result.ok).toBe(true);
    expectHarmless(result.svg);
    expect(result.svg).toBe(`${SVG_OPEN}<rect width="1" height="1"/></svg>`);
  });

  it('adds the SVG namespace to a root that has none', () => {
    const result = sanitizeSvg(
      '<svg width="10" height="10"><rect width="1" height="1"/></svg>',
    ) as SanitizedSvg;
    expect(result.svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(result.svg).toContain('<rect width="1" height="1"/>');
  });

  it('pins the root to its intrinsic size in px on request (for rasterizing)', () => {
    const result = sanitizeSvg('<svg xmlns="http://www.w3.org/2000/svg" x="5" width="2in" height="1in"/>', {
      pinRootSize: true,
    }) as SanitizedSvg;
    expect(result.svg).toContain('width="192" height="96"');
    expect(result.svg).not.toMatch(/2in|x="5"/);
  });

  it('reports the intrinsic size like a browser', () => {
    expect(intrinsicSvgSize({ width: '120', height: '60px' })).toEqual({ width: 120, height: 60 });
    expect(intrinsicSvgSize({ width: '1in', height: '2.54cm' })).toEqual({ width: 96, height: 96 });
    expect(intrinsicSvgSize({ viewBox: '0 0 400 100' })).toEqual({ width: 400, height: 100 });
    expect(intrinsicSvgSize({ width: '200', viewBox: '0,0,400,100' })).toEqual({ width: 200, height: 50 });
    expect(intrinsicSvgSize({ width: '100%', height: '100%', viewBox: '0 0 40 30' })).toEqual({
      width: 40,
      height: 30,
    });
    expect(intrinsicSvgSize({})).toEqual({ width: 300, height: 150 });
    expect(intrinsicSvgSize({ width: '1e9', height: '10' })).toEqual({ width: 100_000, height: 10 });
  });
});
