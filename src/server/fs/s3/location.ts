/** Where an S3 store keeps its objects: a bucket, and a key prefix ("" or ending in "/"). */
export interface S3Location {
  bucket: string;
  prefix: string;
}

// S3's own bucket naming rules, loosened to what other engines (Swift, RGW) also accept.
const BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/;

/**
 * Reads `s3://BUCKET[/PREFIX]`; undefined when the text is not of that form. Empty segments in
 * the prefix are dropped, so "s3://b/a//c/" and "s3://b/a/c" name the same place.
 */
export function parseS3Url(text: string): S3Location | undefined {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(text.trim());
  const bucket = m?.[1];
  if (bucket === undefined || !BUCKET.test(bucket)) return undefined;
  const segments = (m?.[2] ?? '').split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..')) return undefined;
  return { bucket, prefix: segments.map((s) => `${s}/`).join('') };
}

/** The location as the user would write it: s3://bucket/prefix. */
export function formatS3Url(location: S3Location): string {
  return `s3://${location.bucket}/${location.prefix.replace(/\/$/, '')}`.replace(/\/$/, '');
}
