// Pure: removes secrets from QEMU command lines, libvirt logs and domain XML while
// keeping the key, so the reader still sees that a password was set.
export const REDACTED = '<redacted>';

const BOOLEAN_VALUE = /^(on|off|yes|no|true|false)$/i;

export function scrubQemuSecretsLine(line: string): string {
  let out = line;
  // password=VALUE / passwd=VALUE in QEMU option lists (-spice, -vnc, iSCSI, ...)
  out = out.replace(/(^|[,\s'":])(password|passwd)=([^,\s'"]*)/gi, (all, pre: string, key: string, value: string) =>
    value === '' || BOOLEAN_VALUE.test(value) ? all : `${pre}${key}=${REDACTED}`,
  );
  // JSON option values: "password":"..."
  out = out.replace(/("(?:password|passwd)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi, `$1"${REDACTED}"`);
  // libvirt XML attributes: passwd='...' / password="..."
  out = out.replace(/(\b(?:passwd|password)\s*=\s*)(['"])[^'"]*\2/gi, `$1$2${REDACTED}$2`);
  // -object secret,...,data=VALUE and {"qom-type":"secret",...,"data":"VALUE"}
  if (/secret/i.test(out)) {
    out = out.replace(/(^|[,\s'"])data=([^,\s'"]*)/g, `$1data=${REDACTED}`);
    out = out.replace(/("data"\s*:\s*)"(?:[^"\\]|\\.)*"/g, `$1"${REDACTED}"`);
  }
  // Proxmox VE `cipassword: HASH`, xl `vncpasswd="..."` / `spicepasswd=...`
  out = out.replace(/^(cipassword:\s*)(\S.*)$/, `$1${REDACTED}`);
  out = out.replace(
    /(\b(?:vnc|spice)passwd\s*=\s*)(?:(['"])[^'"]*\2|[^,\s]+)/gi,
    (_all, key: string, q?: string) => `${key}${q ?? ''}${REDACTED}${q ?? ''}`,
  );
  // Ceph keys inline in rbd: URLs (rbd:pool/image:id=admin:key=AQB...)
  out = out.replace(/(:key=)([^:,\s'"]+)/g, `$1${REDACTED}`);
  // libvirt logs list the environment QEMU was started with, one NAME=value \ per line.
  out = out.replace(/^([A-Za-z_][A-Za-z0-9_]*)=(.*) \\$/, (_all, name: string) => `${name}=${REDACTED} \\`);
  return out;
}
