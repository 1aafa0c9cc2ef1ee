import { type Html, html } from './html.ts';

/**
 * The rendition builder of the media page (docs/web.md): one field per `src` query parameter a person may want to
 * try, rendered as a GET form (without JavaScript it reloads the page with the URL built) that `media-detail.js`
 * turns into a live preview. The fields are this registry; the server takes any parameter of the delivery
 * registry (imaging/rendition-operations.ts), so a new rendition parameter is one entry here.
 */
export interface BuilderField {
  /** The `src` query parameter. */
  name: string;
  label: string;
  help?: string;
  control:
    | { kind: 'select'; options: readonly (readonly [value: string, label: string])[] }
    | { kind: 'number'; min: number; max: number; step?: number; placeholder?: string };
}

export const RENDITION_BUILDER_FIELDS: readonly BuilderField[] = [
  {
    name: 'size',
    label: 'Size preset',
    help: 'A preset wins over width and height.',
    control: {
      kind: 'select',
      options: [
        ['', 'None'],
        ['s', 'Small (320 px short side)'],
        ['m', 'Medium (640 px)'],
        ['l', 'Large (1080 px)'],
        ['social', 'Social card (1200 × 630)'],
      ],
    },
  },
  { name: 'w', label: 'Width (px)', control: { kind: 'number', min: 1, max: 8192, placeholder: 'auto' } },
  { name: 'h', label: 'Height (px)', control: { kind: 'number', min: 1, max: 8192, placeholder: 'auto' } },
  {
    name: 'fit',
    label: 'Fit',
    help: 'In a width × height box: scale down (never enlarge) or contain fit inside, cover and crop fill it (crop keeps the subject), pad fills the rest.',
    control: {
      kind: 'select',
      options: [
        ['', 'Default'],
        ['scale-down', 'Scale down'],
        ['contain', 'Contain'],
        ['cover', 'Cover'],
        ['crop', 'Crop'],
        ['pad', 'Pad'],
      ],
    },
  },
  {
    name: 'format',
    label: 'Format',
    control: {
      kind: 'select',
      options: [
        ['', 'As the original'],
        ['webp', 'WebP'],
        ['avif', 'AVIF'],
        ['jpg', 'JPEG'],
        ['png', 'PNG'],
        ['gif', 'GIF'],
      ],
    },
  },
  {
    name: 'q',
    label: 'Quality (1–100)',
    help: 'JPEG, WebP and AVIF only.',
    control: { kind: 'number', min: 1, max: 100, placeholder: 'default' },
  },
  {
    name: 'dpr',
    label: 'Pixel ratio',
    help: 'Multiplies width and height, for high-density screens.',
    control: { kind: 'number', min: 1, max: 4, step: 0.5, placeholder: '1' },
  },
  {
    name: 'gravity',
    label: 'Crop gravity',
    help: 'With cover or crop: which part of the image is kept.',
    control: {
      kind: 'select',
      options: [
        ['', 'Centre'],
        ['auto', 'Smart (subject)'],
        ['entropy', 'Most detail'],
        ['north', 'Top'],
        ['south', 'Bottom'],
        ['west', 'Left'],
        ['east', 'Right'],
      ],
    },
  },
  {
    name: 'blur',
    label: 'Blur (1–100)',
    control: { kind: 'number', min: 1, max: 100, placeholder: 'none' },
  },
];

/** The builder's values from a query string: only its own fields, as short strings. */
export function builderValues(query: Readonly<Record<string, unknown>>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const field of RENDITION_BUILDER_FIELDS) {
    const value = query[field.name];
    if (typeof value === 'string' && value.trim() && value.length <= 64) values[field.name] = value.trim();
  }
  return values;
}

function control(field: BuilderField, value: string | undefined): Html {
  const id = `rendition-${field.name}`;
  const described = field.help ? html` aria-describedby="${id}-help"` : null;
  const input =
    field.control.kind === 'select'
      ? html`<select id="${id}" name="${field.name}"${described}>${field.control.options.map(
          ([v, label]) =>
            html`<option value="${v}"${v === (value ?? '') ? html` selected` : null}>${label}</option>`,
        )}</select>`
      : html`<input id="${id}" name="${field.name}" type="number" inputmode="numeric" min="${field.control.min}" max="${field.control.max}" step="${field.control.step ?? 1}" placeholder="${field.control.placeholder ?? ''}" value="${value ?? ''}"${described}>`;
  return html`<div class="field"><label for="${id}">${field.label}</label>${input}${field.help ? html`<p class="help" id="${id}-help">${field.help}</p>` : null}</div>`;
}

/** The builder's form (GET to the media page itself), with the values it was opened with. */
export function builderForm(action: string, values: Readonly<Record<string, string>>): Html {
  return html`<form id="rendition-form" class="rendition-form" method="get" action="${action}#builder-heading">
<div class="form-grid">${RENDITION_BUILDER_FIELDS.map((f) => control(f, values[f.name]))}</div>
<p class="builder-buttons"><button type="submit" id="rendition-apply">Show</button> <a class="button" href="${action}#builder-heading">Reset</a></p>
</form>`;
}
