/**
 * The known-bad lists the generator's `known_bad` scenario draws from. The fraud detector's default
 * list rules reference these constants, so the generator and the detector agree by construction.
 * Every value is reserved for documentation or testing (RFC 2606 `.test` domains, RFC 5737 IPv4
 * blocks, RFC 3849 IPv6 prefix), so none can belong to a real person; legitimate generated traffic
 * never uses them.
 */
export const KNOWN_BAD = {
  /** Whole e-mail addresses reported in earlier fraud cases. */
  emails: ['refund.king@fastcash-mail.test', 'no.reply.loans@quickfunds.test', 'j.doe.1970@burner-box.test'],
  /** Disposable or fraud-associated e-mail domains (match the part after `@`). */
  emailDomains: ['fastcash-mail.test', 'burner-box.test', 'tempinbox.test'],
  /** IP ranges (CIDR) of proxies and hosting used by fraud rings. */
  ipRanges: ['203.0.113.0/24', '198.51.100.0/24', '2001:db8:bad::/48'],
  /** Device fingerprints seen in confirmed fraud. */
  deviceIds: ['dev-7f3a9c1e-bad0', 'dev-0c0ffee0-bad1', 'dev-deadbeef-bad2', 'dev-51a7e5ed-bad3'],
} as const;
