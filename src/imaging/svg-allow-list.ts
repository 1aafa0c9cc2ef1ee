// What the SVG sanitizer keeps. Everything else, with its whole subtree, is dropped: scripts,
// foreignObject (HTML inside SVG), SVG fonts and cursors (external loads), metadata, editor namespaces.

const words = (text: string): ReadonlySet<string> => new Set(text.trim().split(/\s+/));

export const SVG_ELEMENTS = words(`
  svg g defs symbol use switch a title desc style view
  path rect circle ellipse line polyline polygon
  text tspan textPath
  linearGradient radialGradient stop pattern clipPath mask marker image
  filter feBlend feColorMatrix feComponentTransfer feComposite feConvolveMatrix feDiffuseLighting
  feDisplacementMap feDistantLight feDropShadow feFlood feFuncA feFuncB feFuncG feFuncR feGaussianBlur
  feImage feMerge feMergeNode feMorphology feOffset fePointLight feSpecularLighting feSpotLight feTile
  feTurbulence
  animate animateTransform animateMotion set mpath
`);

/** Elements whose character data is content; text anywhere else is whitespace or junk and is dropped. */
export const TEXT_ELEMENTS = words('text tspan textPath title desc style');

/** SMIL elements: they may change any attribute later, so their target attribute is checked too. */
export const ANIMATION_ELEMENTS = words('animate animateTransform animateMotion set');

/** Elements whose `href` may be an embedded raster image (a `data:image/...;base64` URI). */
export const RASTER_HREF_ELEMENTS = words('image feImage');

// Geometry, presentation, text, gradient, filter and animation attributes of SVG 1.1 / SVG 2, without a
// namespace. No event handler (on*) and no href: href is handled on its own.
export const SVG_ATTRIBUTES = words(`
  id class style lang tabindex role focusable aria-label aria-hidden aria-labelledby aria-describedby
  version baseProfile x y width height viewBox preserveAspectRatio zoomAndPan transform transform-origin
  transform-box x1 y1 x2 y2 cx cy r rx ry fx fy fr d points pathLength
  offset gradientUnits gradientTransform spreadMethod patternUnits patternContentUnits patternTransform
  clipPathUnits maskUnits maskContentUnits markerUnits markerWidth markerHeight refX refY orient
  systemLanguage requiredExtensions requiredFeatures
  filterUnits primitiveUnits in in2 result stdDeviation dx dy mode operator k1 k2 k3 k4 values type
  tableValues slope intercept amplitude exponent kernelMatrix order divisor bias targetX targetY edgeMode
  preserveAlpha surfaceScale diffuseConstant specularConstant specularExponent kernelUnitLength azimuth
  elevation limitingConeAngle pointsAtX pointsAtY pointsAtZ z scale xChannelSelector yChannelSelector
  radius baseFrequency numOctaves seed stitchTiles
  fill fill-opacity fill-rule stroke stroke-width stroke-linecap stroke-linejoin stroke-miterlimit
  stroke-dasharray stroke-dashoffset stroke-opacity opacity color display visibility overflow clip
  clip-path clip-rule mask mask-type filter marker marker-start marker-mid marker-end stop-color
  stop-opacity flood-color flood-opacity lighting-color color-interpolation color-interpolation-filters
  color-rendering shape-rendering text-rendering image-rendering vector-effect paint-order mix-blend-mode
  isolation solid-color solid-opacity
  font font-family font-size font-size-adjust font-style font-weight font-variant font-stretch
  letter-spacing word-spacing text-anchor text-decoration dominant-baseline alignment-baseline
  baseline-shift writing-mode direction unicode-bidi white-space textLength lengthAdjust rotate
  startOffset method spacing side
  attributeName attributeType begin dur end min max restart repeatCount repeatDur calcMode keyTimes
  keySplines from to by additive accumulate path keyPoints origin
`);

/** `xml:space` and `xml:lang` are the only namespaced attributes kept besides `xlink:href`. */
export const XML_ATTRIBUTES = words('space lang');
