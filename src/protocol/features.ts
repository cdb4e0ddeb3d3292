/**
 * Lines of the 211 FEAT reply (RFC 2389): a header, one feature per line with exactly one leading
 * space, and a footer. Pass them to formatReply(211, lines).
 */
export function formatFeatureReply(features: readonly string[]): string[] {
  return ['Features:', ...features.map((feature) => ` ${feature}`), 'End'];
}

/**
 * Feature map from the lines of a FEAT reply: upper-case feature name -> the rest of its line
 * ('' when none), e.g. "MLST" -> "type*;size*;modify*;". Header and footer are recognised as the
 * first and last lines without a leading space; servers that omit the space on feature lines (or
 * repeat "211-" there, which the reply decoder strips) are still understood.
 */
export function parseFeatures(lines: readonly string[]): Map<string, string> {
  const features = new Map<string, string>();
  lines.forEach((line, index) => {
    const isFrame = !line.startsWith(' ') && (index === 0 || index === lines.length - 1);
    if (isFrame) return;
    const text = line.trim();
    if (text === '') return;
    const space = text.indexOf(' ');
    const name = (space === -1 ? text : text.slice(0, space)).toUpperCase();
    features.set(name, space === -1 ? '' : text.slice(space + 1).trim());
  });
  return features;
}
