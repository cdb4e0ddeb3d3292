import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

/** How to reach the engine. Credentials come from the SDK's usual sources unless given here. */
export interface S3ConnectionOptions {
  /** An S3-compatible endpoint (http://127.0.0.1:8080); undefined: AWS itself. */
  endpoint?: string;
  /** Undefined: AWS_REGION from the environment, else us-east-1. */
  region?: string;
  /** Bucket in the path (http://host/bucket/key) instead of the host name; most non-AWS engines need it. */
  pathStyle?: boolean;
  /** For programs and tests; the CLI never sets them (environment, shared files, roles instead). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

// A connection attempt that hangs means the engine is gone; an idle socket for a minute as well.
const CONNECTION_TIMEOUT_MS = 5000;
const SOCKET_TIMEOUT_MS = 60_000;

/** A client for the engine, with the settings every S3-compatible engine accepts. */
export function createS3Client(options: S3ConnectionOptions): S3Client {
  // The SDK warns on Node 20 that its releases from 2027 on need Node 22; ftpkit pins a release
  // that supports Node 20 (docs/ARCHITECTURE.md), so the warning would only alarm users.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const config: S3ClientConfig = {
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    forcePathStyle: options.pathStyle ?? false,
    requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, socketTimeout: SOCKET_TIMEOUT_MS },
  };
  if (options.endpoint !== undefined) {
    config.endpoint = options.endpoint;
    // The SDK's default checksums send streamed bodies aws-chunked with a trailer, which Swift
    // (501) and Ceph RGW (411) refuse; checksums only where the operation requires them.
    config.requestChecksumCalculation = 'WHEN_REQUIRED';
    config.responseChecksumValidation = 'WHEN_REQUIRED';
  }
  if (options.credentials !== undefined) config.credentials = options.credentials;
  return new S3Client(config);
}
