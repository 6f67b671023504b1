import { expect, it } from "vitest";
it("probe", () => {
  const out: Record<string, string> = {};
  for (const label of ["iso-2022-jp", "windows-1252", "iso-8859-1", "latin1", "shift_jis", "gb18030", "gbk", "euc-kr", "koi8-r", "iso-8859-15", "big5", "utf-16le", "x-unknown", "utf-7", "us-ascii", "windows-1250", "cp1252", "euc-jp"]) {
    try {
      const d = new TextDecoder(label);
      out[label] = d.encoding;
    } catch (e) { out[label] = "ERR " + String(e); }
  }
  console.log(JSON.stringify(out, null, 1));
  console.log(new TextDecoder("iso-2022-jp").decode(new Uint8Array([0x1b,0x24,0x42,0x46,0x7c,0x4b,0x5c,0x1b,0x28,0x42])));
  console.log(new TextDecoder("windows-1252").decode(new Uint8Array([0x93,0x68,0x94,0x80])));
  console.log(new TextDecoder("shift_jis").decode(new Uint8Array([0x93,0xfa,0x96,0x7b])));
  console.log(new TextDecoder("gb18030").decode(new Uint8Array([0xd6,0xd0,0xce,0xc4])));
  expect(1).toBe(2);
});
