import { cleanFreeText, cleanSingleLine, isOriginAllowed, normaliseEmail, normalisePhone, type NormalisedEmail } from "@plumbline/core";
import { describe, expect, it } from "vitest";

/** Narrows a normaliseEmail result to a success, failing the test with the problem otherwise. */
function accepted(raw: string): NormalisedEmail {
  const result = normaliseEmail(raw);
  if (typeof result === "string") throw new Error(`normaliseEmail(${JSON.stringify(raw)}) returned "${result}"`);
  return result;
}

describe("normaliseEmail, accepted addresses", () => {
  const cases = [
    { name: "plain address", raw: "jane@example.com", key: "jane@example.com", display: "jane@example.com" },
    { name: "plus tag kept", raw: "jane+wills@example.co.uk", key: "jane+wills@example.co.uk", display: "jane+wills@example.co.uk" },
    { name: "upper case lowered in key", raw: "JANE@Example.COM", key: "jane@example.com", display: "JANE@Example.COM" },
    { name: "Unicode domain in upper case", raw: "jo@BÜCHER.example", key: "jo@xn--bcher-kva.example", display: "jo@BÜCHER.example" },
    { name: "Unicode domain in lower case", raw: "jo@bücher.example", key: "jo@xn--bcher-kva.example", display: "jo@bücher.example" },
    { name: "punycode domain", raw: "jo@xn--bcher-kva.example", key: "jo@xn--bcher-kva.example", display: "jo@xn--bcher-kva.example" },
    { name: "full-width at sign", raw: "jo\uFF20example.com", key: "jo@example.com", display: "jo@example.com" },
    { name: "small at sign", raw: "jo\uFE6Bexample.com", key: "jo@example.com", display: "jo@example.com" },
    { name: "full-width domain letters", raw: "jo@\uFF45\uFF58\uFF41\uFF4D\uFF50\uFF4C\uFF45.com", key: "jo@example.com", display: "jo@ｅｘａｍｐｌｅ.com" },
    { name: "full-width dot in domain", raw: "jo@example\uFF0Ecom", key: "jo@example.com", display: "jo@example．com" },
    { name: "zero-width space removed", raw: "jo\u200B@exa\u200Bmple.com", key: "jo@example.com", display: "jo@example.com" },
    { name: "zero-width joiner removed", raw: "j\u200Do@example.com", key: "jo@example.com", display: "jo@example.com" },
    { name: "zero-width non-joiner removed", raw: "j\u200Co@example.com", key: "jo@example.com", display: "jo@example.com" },
    { name: "bidi marks removed", raw: "j\u200E\u200Fo@ex\u202Eample\u202C.com", key: "jo@example.com", display: "jo@example.com" },
    { name: "soft hyphen removed", raw: "j\u00ADo@exam\u00ADple.com", key: "jo@example.com", display: "jo@example.com" },
    { name: "byte-order mark removed", raw: "\uFEFFjo@example.com\uFEFF", key: "jo@example.com", display: "jo@example.com" },
    { name: "control characters removed", raw: "j\u0000o\u0007@exam\u001Bple.com\u007F", key: "jo@example.com", display: "jo@example.com" },
    { name: "line break removed", raw: "jo\n@example.com\r\n", key: "jo@example.com", display: "jo@example.com" },
    { name: "surrounding spaces trimmed", raw: "  jo@example.com\t", key: "jo@example.com", display: "jo@example.com" },
    { name: "decomposed local part composed", raw: "rene\u0301e@example.fr", key: "ren\u00E9e@example.fr", display: "ren\u00E9e@example.fr" },
    { name: "local part of 64 bytes", raw: `${"a".repeat(64)}@example.com`, key: `${"a".repeat(64)}@example.com`, display: `${"a".repeat(64)}@example.com` },
  ];

  it.each(cases)("$name: key", ({ raw, key }) => {
    expect(accepted(raw).key).toBe(key);
  });

  it.each(cases)("$name: display", ({ raw, display }) => {
    expect(accepted(raw).display).toBe(display);
  });

  it("trailing dot left off the key", () => {
    expect(accepted("jo@example.com.").key).toBe("jo@example.com");
  });

  it("trailing dot left off the domain", () => {
    expect(accepted("jo@example.com.").domain).toBe("example.com");
  });

  it("domain is returned in punycode", () => {
    expect(accepted("jo@ｂüｃｈｅｒ.example").domain).toBe("xn--bcher-kva.example");
  });

  it("every spelling of one domain gives one key", () => {
    const spellings = ["jo@BÜCHER.example", "jo@bücher.example", "jo@xn--bcher-kva.example", "JO@XN--BCHER-KVA.EXAMPLE", "jo@ｂüｃｈｅｒ.example", "jo@bücher.example."];
    const keys = new Set(spellings.map((raw) => accepted(raw).key));
    expect([...keys]).toEqual(["jo@xn--bcher-kva.example"]);
  });

  it("plus tag is a different key", () => {
    expect(accepted("jane+law@example.com").key).not.toBe(accepted("jane@example.com").key);
  });
});

describe("normaliseEmail, rejected addresses", () => {
  const invalid = [
    { name: "no at sign", raw: "jane.example.com" },
    { name: "double at sign", raw: "jane@@example.com" },
    { name: "at sign inside local part", raw: "ja@ne@example.com" },
    { name: "at sign at the end", raw: "jane@" },
    { name: "empty local part", raw: "@example.com" },
    { name: "only invisible local part", raw: "\u200B@example.com" },
    { name: "empty string", raw: "" },
    { name: "space in local part", raw: "jane doe@example.com" },
    { name: "space in domain", raw: "jane@exam ple.com" },
    { name: "no-break space in domain", raw: "jane@exam\u00A0ple.com" },
    { name: "quoted local part", raw: '"jane doe"@example.com' },
    { name: "leading dot in local part", raw: ".jane@example.com" },
    { name: "trailing dot in local part", raw: "jane.@example.com" },
    { name: "two dots in local part", raw: "ja..ne@example.com" },
    { name: "two dots in domain", raw: "jane@example..com" },
    { name: "domain without a dot", raw: "jane@localhost" },
    { name: "label starting with hyphen", raw: "jane@-example.com" },
    { name: "underscore in domain", raw: "jane@exa_mple.com" },
    { name: "IPv4 literal in brackets", raw: "jane@[192.0.2.1]" },
    { name: "IPv6 literal in brackets", raw: "jane@[IPv6:2001:db8::1]" },
    { name: "bare IPv4 address", raw: "jane@192.0.2.1" },
    { name: "hexadecimal IPv4 address", raw: "jane@0xc0.0x2.1" },
    { name: "numeric top-level label", raw: "jane@example.123" },
    { name: "port after domain", raw: "jane@example.com:25" },
    { name: "local part of 65 bytes", raw: `${"a".repeat(65)}@example.com` },
    { name: "local part of 66 UTF-8 bytes", raw: `${"é".repeat(33)}@example.com` },
  ];

  it.each(invalid)("$name is invalid", ({ raw }) => {
    expect(normaliseEmail(raw)).toBe("invalid");
  });

  /** Builds an address of `length` characters from a 64-character local part and a padded domain. */
  function addressOfLength(length: number): string {
    const local = "a".repeat(64);
    const middle = `@${"b".repeat(63)}.${"c".repeat(63)}.`;
    const tail = ".example";
    return local + middle + "d".repeat(length - local.length - middle.length - tail.length) + tail;
  }

  it("255 characters is too long", () => {
    expect(normaliseEmail(addressOfLength(255))).toBe("too_long");
  });

  it("254 characters is accepted", () => {
    const atCap = addressOfLength(254);
    expect(accepted(atCap).key).toBe(atCap);
  });

  it("huge input is too long", () => {
    expect(normaliseEmail(`${"a".repeat(10_000)}@example.com`)).toBe("too_long");
  });

  it("invisible characters do not count", () => {
    const padded = `${"\u200B".repeat(300)}jane@example.com`;
    expect(accepted(padded).key).toBe("jane@example.com");
  });

  it("punycode growth past 254 is too long", () => {
    // 228 characters as typed, but each 25-letter Unicode label becomes 31 ASCII characters, so the key has 264.
    const domain = `${Array.from({ length: 6 }, () => "ü".repeat(25)).join(".")}.example`;
    const raw = `${"a".repeat(64)}@${domain}`;
    expect([...raw]).toHaveLength(228);
    expect(normaliseEmail(raw)).toBe("too_long");
  });
});

describe("normalisePhone", () => {
  const cases = [
    { name: "GB landline", raw: "020 7946 0000", region: "GB", e164: "+442079460000" },
    { name: "GB mobile", raw: "07911 123123", region: "GB", e164: "+447911123123" },
    { name: "GB mobile without spaces", raw: "07911123123", region: "GB", e164: "+447911123123" },
    // libphonenumber drops the bracketed trunk prefix that UK numbers are often written with.
    { name: "country code with (0)", raw: "+44 (0)20 7946 0000", region: "GB", e164: "+442079460000" },
    { name: "00 international prefix", raw: "0044 20 7946 0000", region: "GB", e164: "+442079460000" },
    { name: "plus form", raw: "+44 7911 123123", region: "GB", e164: "+447911123123" },
    { name: "dashes and dots", raw: "020-7946.0000", region: "GB", e164: "+442079460000" },
    { name: "full-width digits", raw: "０２０ ７９４６ ００００", region: "GB", e164: "+442079460000" },
    { name: "zero-width space inside", raw: "020\u200B7946\u200B0000", region: "GB", e164: "+442079460000" },
    { name: "lower-case region", raw: "020 7946 0000", region: "gb", e164: "+442079460000" },
    { name: "Irish landline with region IE", raw: "01 234 5678", region: "IE", e164: "+35312345678" },
    { name: "Irish mobile with region IE", raw: "087 123 4567", region: "IE", e164: "+353871234567" },
    { name: "US number typed with +1", raw: "+1 202 555 0123", region: "GB", e164: "+12025550123" },
    { name: "US number with brackets", raw: "+1 (212) 555-0100", region: "GB", e164: "+12125550100" },
    { name: "GB number with region IE", raw: "+44 20 7946 0000", region: "IE", e164: "+442079460000" },
    // E.164 has no room for an extension, so the caller keeps the number as typed beside it.
    { name: "extension dropped", raw: "020 7946 0000 ext 12", region: "GB", e164: "+442079460000" },
  ];

  it.each(cases)("$name", ({ raw, region, e164 }) => {
    expect(normalisePhone(raw, region)).toBe(e164);
  });

  const unreadable = [
    { name: "letters only", raw: "call me", region: "GB" },
    { name: "empty", raw: "", region: "GB" },
    { name: "only invisible characters", raw: "\u200B\u00AD", region: "GB" },
    { name: "three digits", raw: "123", region: "GB" },
    { name: "two digits", raw: "12", region: "GB" },
    { name: "far too many digits", raw: "+44 20 7946 0000 1111 1111", region: "GB" },
    { name: "unknown region", raw: "020 7946 0000", region: "XX" },
  ];

  it.each(unreadable)("$name is null", ({ raw, region }) => {
    expect(normalisePhone(raw, region)).toBeNull();
  });
});

describe("cleanSingleLine", () => {
  const cases = [
    { name: "decomposed é composed", raw: "Rene\u0301e", cleaned: "Ren\u00E9e" },
    { name: "CJK name kept", raw: "山田太郎", cleaned: "山田太郎" },
    { name: "CJK name with space kept", raw: "山田 太郎", cleaned: "山田 太郎" },
    { name: "Arabic name kept", raw: "محمد علي", cleaned: "محمد علي" },
    { name: "Persian ZWNJ kept", raw: "محمد\u200Cرضا", cleaned: "محمد\u200Cرضا" },
    { name: "typographic apostrophe kept", raw: "Zoë D’Arcy", cleaned: "Zoë D’Arcy" },
    { name: "ASCII apostrophe kept", raw: "Siobhán O'Connor", cleaned: "Siobhán O'Connor" },
    { name: "hyphenated name kept", raw: "Ó Briain-Smith", cleaned: "Ó Briain-Smith" },
    { name: "NUL and BEL removed", raw: "Ja\u0000ne\u0007 Doe", cleaned: "Jane Doe" },
    { name: "escape and DEL removed", raw: "Jane\u001B\u007F Doe", cleaned: "Jane Doe" },
    { name: "C1 control removed", raw: "Jane\u009B Doe", cleaned: "Jane Doe" },
    { name: "LF becomes space", raw: "Jane\nDoe", cleaned: "Jane Doe" },
    { name: "CRLF becomes one space", raw: "Jane\r\nDoe", cleaned: "Jane Doe" },
    { name: "tab becomes space", raw: "Jane\tDoe", cleaned: "Jane Doe" },
    { name: "vertical tab becomes space", raw: "Jane\u000BDoe", cleaned: "Jane Doe" },
    { name: "form feed becomes space", raw: "Jane\u000CDoe", cleaned: "Jane Doe" },
    { name: "NEL becomes space", raw: "Jane\u0085Doe", cleaned: "Jane Doe" },
    { name: "line separator becomes space", raw: "Jane\u2028Doe", cleaned: "Jane Doe" },
    { name: "paragraph separator becomes space", raw: "Jane\u2029Doe", cleaned: "Jane Doe" },
    { name: "surrounding space trimmed", raw: "  Jane Doe \n", cleaned: "Jane Doe" },
  ];

  it.each(cases)("$name", ({ raw, cleaned }) => {
    expect(cleanSingleLine(raw)).toBe(cleaned);
  });
});

describe("cleanFreeText", () => {
  const cases = [
    { name: "newlines kept", raw: "Hello,\n\nI need a will.\nThanks", cleaned: "Hello,\n\nI need a will.\nThanks" },
    { name: "CRLF kept", raw: "Line one\r\nLine two", cleaned: "Line one\r\nLine two" },
    { name: "tab kept", raw: "Item\tQty", cleaned: "Item\tQty" },
    { name: "decomposed é composed", raw: "Cafe\u0301 on the corner", cleaned: "Caf\u00E9 on the corner" },
    { name: "control characters removed", raw: "Hel\u0000lo\u0007\u001B there", cleaned: "Hello there" },
    { name: "ZWNJ kept", raw: "می\u200Cخواهم", cleaned: "می\u200Cخواهم" },
    { name: "apostrophes kept", raw: "It’s my mum's house", cleaned: "It’s my mum's house" },
    { name: "surrounding space trimmed", raw: "\n  Hello  \n", cleaned: "Hello" },
  ];

  it.each(cases)("$name", ({ raw, cleaned }) => {
    expect(cleanFreeText(raw)).toBe(cleaned);
  });
});

describe("isOriginAllowed", () => {
  const cases = [
    { name: "exact origin", origin: "https://www.firm.example", patterns: ["https://www.firm.example"], allowed: true },
    { name: "other host", origin: "https://firm.example", patterns: ["https://www.firm.example"], allowed: false },
    { name: "lookalike host suffix", origin: "https://www.firm.example.evil.example", patterns: ["https://www.firm.example"], allowed: false },
    { name: "second pattern matches", origin: "https://firm.example", patterns: ["https://www.firm.example", "https://firm.example"], allowed: true },
    { name: "no patterns", origin: "https://www.firm.example", patterns: [], allowed: false },
    { name: "port wildcard with port", origin: "http://localhost:3000", patterns: ["http://localhost:*"], allowed: true },
    { name: "port wildcard on default port", origin: "http://localhost", patterns: ["http://localhost:*"], allowed: true },
    { name: "port wildcard other host", origin: "http://127.0.0.1:3000", patterns: ["http://localhost:*"], allowed: false },
    { name: "subdomain wildcard", origin: "https://blog.firm.example", patterns: ["https://*.firm.example"], allowed: true },
    { name: "subdomain wildcard, two labels", origin: "https://a.b.firm.example", patterns: ["https://*.firm.example"], allowed: true },
    { name: "subdomain wildcard, apex", origin: "https://firm.example", patterns: ["https://*.firm.example"], allowed: false },
    { name: "subdomain wildcard, suffix only", origin: "https://notfirm.example", patterns: ["https://*.firm.example"], allowed: false },
    { name: "http origin, https pattern", origin: "http://www.firm.example", patterns: ["https://www.firm.example"], allowed: false },
    { name: "https origin, http pattern", origin: "https://www.firm.example", patterns: ["http://www.firm.example"], allowed: false },
    { name: "pattern names https default port", origin: "https://www.firm.example", patterns: ["https://www.firm.example:443"], allowed: true },
    { name: "pattern names http default port", origin: "http://www.firm.example", patterns: ["http://www.firm.example:80"], allowed: true },
    { name: "origin on another port", origin: "https://www.firm.example:8443", patterns: ["https://www.firm.example"], allowed: false },
    { name: "pattern on another port", origin: "https://www.firm.example", patterns: ["https://www.firm.example:8443"], allowed: false },
    // Browsers leave default ports out of Origin, so a header carrying one was not written by a browser.
    { name: "origin spelling out default port", origin: "https://www.firm.example:443", patterns: ["https://www.firm.example"], allowed: false },
    { name: "null origin", origin: "null", patterns: ["https://www.firm.example"], allowed: false },
    { name: "null origin, null pattern", origin: "null", patterns: ["null"], allowed: false },
    { name: "origin with path", origin: "https://www.firm.example/contact", patterns: ["https://www.firm.example"], allowed: false },
    { name: "origin with trailing slash", origin: "https://www.firm.example/", patterns: ["https://www.firm.example"], allowed: false },
    { name: "origin with credentials", origin: "https://user@www.firm.example", patterns: ["https://www.firm.example"], allowed: false },
    { name: "upper-case origin", origin: "HTTPS://WWW.FIRM.EXAMPLE", patterns: ["https://www.firm.example"], allowed: false },
    { name: "upper-case pattern", origin: "https://www.firm.example", patterns: ["HTTPS://WWW.Firm.Example"], allowed: true },
    { name: "pattern with spaces around", origin: "https://www.firm.example", patterns: ["  https://www.firm.example "], allowed: true },
    { name: "pattern with path", origin: "https://www.firm.example", patterns: ["https://www.firm.example/"], allowed: false },
    { name: "pattern with query", origin: "https://www.firm.example", patterns: ["https://www.firm.example?x=1"], allowed: false },
    { name: "pattern with fragment", origin: "https://www.firm.example", patterns: ["https://www.firm.example#top"], allowed: false },
    { name: "bare star pattern", origin: "https://www.firm.example", patterns: ["*"], allowed: false },
    { name: "pattern without scheme", origin: "https://www.firm.example", patterns: ["www.firm.example"], allowed: false },
    { name: "Unicode pattern, punycode origin", origin: "https://xn--bcher-kva.example", patterns: ["https://bücher.example"], allowed: true },
    { name: "Unicode wildcard, punycode origin", origin: "https://www.xn--bcher-kva.example", patterns: ["https://*.BÜCHER.example"], allowed: true },
    { name: "not a URL", origin: "firm", patterns: ["https://www.firm.example"], allowed: false },
  ];

  it.each(cases)("$name", ({ origin, patterns, allowed }) => {
    expect(isOriginAllowed(origin, patterns)).toBe(allowed);
  });
});
