import { randomBytes } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';

// What OpenSSL's session ticket key callback answers (SSL_CTX_set_tlsext_ticket_key_cb).
const TICKET_MADE = 1;
const TICKET_NOT_OURS = 0;
const TICKET_RESUMES_AND_IS_RENEWED = 2;
/** Node's side of the callback takes 16-byte names and IVs and AES-128-CBC keys; the HMAC is SHA-256. */
const PART_BYTES = 16;
const HMAC_KEY_BYTES = 32;

type TicketKeyAnswer =
  | [result: typeof TICKET_MADE, hmacKey: Buffer, aesKey: Buffer, name: Buffer, iv: Buffer]
  | [result: typeof TICKET_NOT_OURS | typeof TICKET_RESUMES_AND_IS_RENEWED, hmacKey: Buffer, aesKey: Buffer];

/**
 * The ticket key hook of Node's native context handle (`SecureContext.context`). It is not in
 * Node's documented API: Node keeps it for its own test of ticket renewal
 * (test/parallel/test-https-resume-after-renew.js), so it is looked for, not assumed.
 */
interface TicketKeyHook {
  enableTicketKeyCallback(): void;
  onticketkeycallback?: (name: Buffer, iv: Buffer, encrypt: boolean) => TicketKeyAnswer;
}

function ticketKeyHook(context: SecureContext): TicketKeyHook | undefined {
  const handle: unknown = context.context;
  if (typeof handle !== 'object' || handle === null) return undefined;
  if (!('enableTicketKeyCallback' in handle) || typeof handle.enableTicketKeyCallback !== 'function') {
    return undefined;
  }
  return handle as TicketKeyHook;
}

/**
 * Has every handshake that resumes one of `context`'s tickets issue a fresh ticket, as OpenSSL does
 * by default and Node's own ticket callback does not. OpenSSL's client cache (curl's) spends a TLS
 * 1.3 session on the handshake that resumes it: without a ticket from its first data connection,
 * the second starts a new session and is refused under tls-session-reuse required. The key is
 * random and the context's own, so its tickets still resume nowhere else. False when this Node has
 * no hook for it: the context then keeps Node's callback and the key it was made with.
 */
export function renewTicketsOnResume(context: SecureContext): boolean {
  const hook = ticketKeyHook(context);
  if (hook === undefined) return false;
  const name = randomBytes(PART_BYTES);
  const hmacKey = randomBytes(HMAC_KEY_BYTES);
  const aesKey = randomBytes(PART_BYTES);
  hook.onticketkeycallback = (ticketName, _iv, encrypt) => {
    if (encrypt) return [TICKET_MADE, hmacKey, aesKey, name, randomBytes(PART_BYTES)];
    // A ticket under another key (another control connection's) makes a new session: refused.
    return [ticketName.equals(name) ? TICKET_RESUMES_AND_IS_RENEWED : TICKET_NOT_OURS, hmacKey, aesKey];
  };
  hook.enableTicketKeyCallback();
  return true;
}

/** Whether this Node lets renewTicketsOnResume work; checked once, on a throw-away context. */
export function ticketRenewalAvailable(): boolean {
  available ??= ticketKeyHook(createSecureContext()) !== undefined;
  return available;
}
let available: boolean | undefined;
